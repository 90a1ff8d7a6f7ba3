import { Inject, Injectable } from '@nestjs/common';
import { hash } from '@node-rs/argon2';
import { isAdmin, type Principal } from '../auth/principal';
import { ConflictError, ForbiddenError, NotFoundError, StaleVersionError, ValidationFailedError } from '@canopy/schema';
import { ROOT_CONFIG } from '../common/tokens';
import type { RootConfig } from '../config/root-config';
import type { UserRecord } from '../persistence/records';
import { STORE, type Store } from '../persistence/store.port';
import type { CreateUserDto, UpdateUserDto } from './dto/user.dto';
import { UsersService } from './users.service';

/** User management: admins manage everyone; a user may read itself and change its own password. */
@Injectable()
export class UsersAdmin {
  constructor(
    @Inject(STORE) private readonly store: Store,
    private readonly users: UsersService,
    @Inject(ROOT_CONFIG) private readonly config: RootConfig,
  ) {}

  list(): Promise<UserRecord[]> {
    return this.store.users.find();
  }

  async get(caller: Principal, id: string): Promise<UserRecord> {
    const user = await this.store.users.get(id);
    if (!user || (!isAdmin(caller) && caller.userId !== id)) {
      throw new NotFoundError('user', id);
    }
    return user;
  }

  async create(body: CreateUserDto): Promise<UserRecord> {
    // The name stays free for the service account, which is created on first use (never a human's).
    if (body.username === this.config.aerosServiceAccount) {
      throw new ConflictError(
        `user name ${body.username} is reserved for the aerOS service account`,
        [{ path: 'username', message: 'is reserved' }],
        'USER_NAME_TAKEN',
      );
    }
    if (await this.users.findByUsername(body.username)) {
      throw new ConflictError(
        `user ${body.username} already exists`,
        [{ path: 'username', message: 'is taken' }],
        'USER_NAME_TAKEN',
      );
    }
    if (body.organizationId !== undefined) {
      await this.requireOrganization(body.organizationId);
    }
    const user = await this.users.create(body.username, body.password, body.role);
    return body.organizationId === undefined
      ? user
      : this.store.users.update({ ...user, organizationId: body.organizationId });
  }

  async update(caller: Principal, id: string, body: UpdateUserDto): Promise<UserRecord> {
    const user = await this.get(caller, id);
    if (!isAdmin(caller) && (body.role !== undefined || body.organizationId !== undefined)) {
      throw new ForbiddenError('only an admin may change roles or organizations');
    }
    if (body.version !== undefined && body.version !== user.version) {
      throw new StaleVersionError('user', id);
    }
    if (body.organizationId !== undefined) {
      await this.requireOrganization(body.organizationId);
    }
    if (caller.userId === id && body.role !== undefined && body.role !== user.role) {
      throw new ValidationFailedError([{ path: 'role', message: 'you cannot change your own role' }]);
    }
    const next: UserRecord = { ...user };
    if (body.password !== undefined) {
      next.passwordHash = await hash(body.password);
    }
    if (body.role !== undefined) {
      next.role = body.role;
    }
    if (body.organizationId !== undefined) {
      next.organizationId = body.organizationId;
    }
    return this.store.users.update(next);
  }

  async delete(caller: Principal, id: string): Promise<void> {
    const user = await this.get(caller, id);
    if (caller.userId === id) {
      throw new ValidationFailedError([{ path: 'id', message: 'you cannot delete yourself' }]);
    }
    const owned = await this.store.applications.find({ ownerId: id });
    if (owned.length > 0) {
      throw new ConflictError(
        `user ${user.username} still owns ${owned.length} application(s); delete them first`,
        [],
        'USER_OWNS_APPLICATIONS',
      );
    }
    await this.store.users.delete(id);
  }

  private async requireOrganization(id: string): Promise<void> {
    if (!(await this.store.organizations.get(id))) {
      throw new ValidationFailedError([{ path: 'organizationId', message: `organization ${id} does not exist` }]);
    }
  }
}
