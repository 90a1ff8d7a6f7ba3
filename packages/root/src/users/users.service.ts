import { randomBytes, randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { hash, verify } from '@node-rs/argon2';
import type { Logger } from 'pino';
import { LOGGER, ROOT_CONFIG } from '../common/tokens';
import type { RootConfig } from '../config/root-config';
import type { Role, UserRecord } from '../persistence/records';
import { STORE, type Store } from '../persistence/store.port';

/**
 * What the API shows of a user: never the hash. Canopy's fields (`id`, `username`, `role`) and
 * Oakestra's (`_id.$oid`, `name`, `email`, `roles[]`, `created_at`) side by side, so Oakestra's
 * dashboard reads the same object Canopy's clients do.
 */
export interface PublicUser {
  id: string;
  username: string;
  role: Role;
  organizationId?: string;
  _id: { $oid: string };
  name: string;
  email: string;
  roles: Role[];
  created_at: string;
}

export function toPublicUser(u: UserRecord): PublicUser {
  const out: PublicUser = {
    id: u.id,
    username: u.username,
    role: u.role,
    _id: { $oid: u.id },
    name: u.username,
    email: u.email ?? '',
    roles: [u.role],
    created_at: u.createdAt,
  };
  if (u.organizationId !== undefined) out.organizationId = u.organizationId;
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

  /** A versioned write of the user (a stale version is a StaleVersionError). */
  save(user: UserRecord): Promise<UserRecord> {
    return this.store.users.update(user);
  }

  async create(username: string, password: string, role: Role, email?: string): Promise<UserRecord> {
    const user: Parameters<Store['users']['insert']>[0] = {
      id: randomUUID(),
      username,
      role,
      passwordHash: await hash(password),
    };
    if (email !== undefined && email !== '') user.email = email;
    return this.store.users.insert(user);
  }

  /** By id first, then by name: Oakestra's clients address users by name, Canopy's by id. */
  async findByIdOrName(key: string): Promise<UserRecord | undefined> {
    return (await this.store.users.get(key)) ?? (await this.findByUsername(key));
  }

  /**
   * Verifies against the user's hash, or against a throw-away hash when there is no user, so an
   * unknown name costs the same argon2 work as a known one (no timing oracle for names).
   */
  async verifyPasswordOrDummy(user: UserRecord | undefined, password: string): Promise<boolean> {
    if (user) return this.verifyPassword(user, password);
    this.dummyHash ??= hash(randomBytes(16).toString('base64url'));
    await this.verifyPassword({ passwordHash: await this.dummyHash }, password);
    return false;
  }

  private dummyHash: Promise<string> | undefined;

  async verifyPassword(user: Pick<UserRecord, 'passwordHash'>, password: string): Promise<boolean> {
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
        await this.store.users.update({
          ...existing,
          passwordHash: await hash(configured),
          tokenVersion: (existing.tokenVersion ?? 0) + 1,
          refreshFamilies: [],
        });
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
