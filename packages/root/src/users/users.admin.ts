import { Inject, Injectable } from '@nestjs/common';
import { hash } from '@node-rs/argon2';
import { isAdmin, type Principal } from '../auth/principal';
import { ConflictError, ForbiddenError, NotFoundError, StaleVersionError, ValidationFailedError } from '@canopy/schema';
import { ROOT_CONFIG } from '../common/tokens';
import type { RootConfig } from '../config/root-config';
import type { Role, UserRecord } from '../persistence/records';
import { STORE, type Store } from '../persistence/store.port';
import { roleOf, type CreateUserDto, type RegisterUserDto, type UpdateUserDto } from './dto/user.dto';
import { UsersService } from './users.service';

/**
 * User management: admins manage everyone; a user may read itself and change its own password
 * (giving the current one). Users are addressed by id (Canopy) or by name (Oakestra's clients).
 */
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

  /** Oakestra's `GET /api/users/<organization_id>`: the organization's members. */
  async listForOrganization(organizationId: string): Promise<UserRecord[]> {
    if (!(await this.store.organizations.get(organizationId))) throw new NotFoundError('organization', organizationId);
    return this.store.users.find({ organizationId });
  }

  async get(caller: Principal, key: string): Promise<UserRecord> {
    const user = await this.users.findByIdOrName(key);
    if (!user || (!isAdmin(caller) && caller.userId !== user.id)) throw new NotFoundError('user', key);
    return user;
  }

  async create(body: CreateUserDto): Promise<UserRecord> {
    // The name stays free for the service account, which is created on first use (never a human's).
    if (body.username === this.config.aerosServiceAccount)
      throw new ConflictError(
        `user name ${body.username} is reserved for the aerOS service account`,
        [{ path: 'username', message: 'is reserved' }],
        'USER_NAME_TAKEN',
      );
    if (await this.users.findByUsername(body.username))
      throw new ConflictError(
        `user ${body.username} already exists`,
        [{ path: 'username', message: 'is taken' }],
        'USER_NAME_TAKEN',
      );
    if (body.organizationId !== undefined) await this.requireOrganization(body.organizationId);
    const user = await this.users.create(body.username, body.password, body.role, body.email);
    return body.organizationId === undefined
      ? user
      : this.store.users.update({ ...user, organizationId: body.organizationId });
  }

  /** Oakestra's `POST /api/auth/register` `{name, email, password, roles}`. */
  async register(body: RegisterUserDto): Promise<UserRecord> {
    const role = roleOf(body.roles ?? []);
    if (role === undefined) throw new ValidationFailedError([{ path: 'roles', message: 'unknown role' }]);
    const create: CreateUserDto = { username: body.name, password: body.password, role };
    if (body.email !== undefined) create.email = body.email;
    if (body.organization_id !== undefined) create.organizationId = body.organization_id;
    return this.create(create);
  }

  async update(caller: Principal, key: string, body: UpdateUserDto): Promise<UserRecord> {
    const user = await this.get(caller, key);
    let role: Role | undefined = body.role;
    if (role === undefined && body.roles !== undefined) {
      role = roleOf(body.roles);
      if (role === undefined) throw new ValidationFailedError([{ path: 'roles', message: 'unknown role' }]);
    }
    const roleChange = role !== undefined && role !== user.role;
    if (!isAdmin(caller) && (roleChange || body.organizationId !== undefined)) {
      throw new ForbiddenError('only an admin may change roles or organizations');
    }
    if (body.version !== undefined && body.version !== user.version) throw new StaleVersionError('user', user.id);
    if (body.organizationId !== undefined) await this.requireOrganization(body.organizationId);
    if (caller.userId === user.id && roleChange) {
      throw new ValidationFailedError([{ path: 'role', message: 'you cannot change your own role' }]);
    }
    const next: UserRecord = { ...user };
    // Setting the password a user already has changes nothing, so it needs nothing more.
    const passwordChange = body.password !== undefined && !(await this.users.verifyPassword(user, body.password));
    if (passwordChange && body.password !== undefined) {
      // An admin resets another user's password; anyone changing their own proves they know it.
      if (caller.userId === user.id || !isAdmin(caller)) await this.requireCurrentPassword(user, body.current_password);
      next.passwordHash = await hash(body.password);
    }
    if (role !== undefined) next.role = role;
    if (body.organizationId !== undefined) next.organizationId = body.organizationId;
    if (body.email !== undefined) next.email = body.email;
    if (passwordChange || roleChange) this.revokeSessions(next);
    return this.store.users.update(next);
  }

  /** Oakestra's `POST /api/user/<name>` `{oldPassword, newPassword}`: always needs the current password. */
  async changePassword(caller: Principal, key: string, oldPassword: string, newPassword: string): Promise<UserRecord> {
    const user = await this.get(caller, key);
    if (caller.userId !== user.id) throw new ForbiddenError('only the user may change its password this way');
    await this.requireCurrentPassword(user, oldPassword);
    // The same password again changes nothing, and ends no session.
    if (newPassword === oldPassword) return user;
    const next: UserRecord = { ...user, passwordHash: await hash(newPassword) };
    this.revokeSessions(next);
    return this.store.users.update(next);
  }

  async delete(caller: Principal, key: string): Promise<UserRecord> {
    const user = await this.get(caller, key);
    if (caller.userId === user.id)
      throw new ValidationFailedError([{ path: 'id', message: 'you cannot delete yourself' }]);
    const owned = await this.store.applications.find({ ownerId: user.id });
    if (owned.length > 0)
      throw new ConflictError(
        `user ${user.username} still owns ${owned.length} application(s); delete them first`,
        [],
        'USER_OWNS_APPLICATIONS',
      );
    await this.store.users.delete(user.id);
    return user;
  }

  /** Every token issued before now stops working: access tokens at their next use, refresh families at once. */
  private revokeSessions(user: UserRecord): void {
    user.tokenVersion = (user.tokenVersion ?? 0) + 1;
    user.refreshFamilies = [];
  }

  private async requireCurrentPassword(user: UserRecord, current: string | undefined): Promise<void> {
    if (current === undefined)
      throw new ValidationFailedError([
        { path: 'current_password', message: 'changing your password needs your current password' },
      ]);
    if (!(await this.users.verifyPassword(user, current))) throw new ForbiddenError('the current password is wrong');
  }

  private async requireOrganization(id: string): Promise<void> {
    if (!(await this.store.organizations.get(id))) {
      throw new ValidationFailedError([{ path: 'organizationId', message: `organization ${id} does not exist` }]);
    }
  }
}
