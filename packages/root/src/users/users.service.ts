import { randomBytes, randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { hash, verify } from '@node-rs/argon2';
import type { Logger } from 'pino';
import { LOGGER, ROOT_CONFIG } from '../common/tokens';
import type { RootConfig } from '../config/root-config';
import type { Role, UserRecord } from '../persistence/records';
import { STORE, type Store } from '../persistence/store.port';

/** What the API shows of a user: never the hash. */
export interface PublicUser {
  id: string;
  username: string;
  role: Role;
  organizationId?: string;
}

export function toPublicUser(u: UserRecord): PublicUser {
  const out: PublicUser = { id: u.id, username: u.username, role: u.role };
  if (u.organizationId !== undefined) {
    out.organizationId = u.organizationId;
  }
  return out;
}

export interface AdminBootstrap {
  username: string;
  /** Set only when the password was generated now; printed once and never stored in clear. */
  generatedPassword?: string;
}

@Injectable()
export class UsersService {
  constructor(
    @Inject(STORE) private readonly store: Store,
    @Inject(ROOT_CONFIG) private readonly config: RootConfig,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

  async findByUsername(username: string): Promise<UserRecord | undefined> {
    const [user] = await this.store.users.find({ username });
    return user;
  }

  async get(id: string): Promise<UserRecord | undefined> {
    return this.store.users.get(id);
  }

  async create(username: string, password: string, role: Role): Promise<UserRecord> {
    return this.store.users.insert({ id: randomUUID(), username, role, passwordHash: await hash(password) });
  }

  async verifyPassword(user: UserRecord, password: string): Promise<boolean> {
    try {
      return await verify(user.passwordHash, password);
    } catch {
      return false;
    }
  }

  /**
   * There is never an `Admin/Admin`: the first admin's password comes from CANOPY_ADMIN_PASSWORD or
   * is generated here and returned once for printing. Setting the variable later resets it, which
   * is how an operator recovers a lost password.
   */
  async bootstrapAdmin(): Promise<AdminBootstrap> {
    const username = this.config.adminUsername;
    const existing = await this.findByUsername(username);
    const configured = this.config.adminPassword;
    if (existing) {
      if (configured !== undefined && !(await this.verifyPassword(existing, configured))) {
        await this.store.users.update({ ...existing, passwordHash: await hash(configured) });
        this.log.info({ username }, 'admin password reset from CANOPY_ADMIN_PASSWORD');
      }
      return { username };
    }
    const password = configured ?? randomBytes(18).toString('base64url');
    await this.create(username, password, 'Admin');
    this.log.info({ username }, 'first admin created');
    return configured === undefined ? { username, generatedPassword: password } : { username };
  }
}
