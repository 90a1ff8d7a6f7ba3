import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { ConflictError } from '@canopy/schema';
import type { Principal } from '../auth/principal';
import { LOGGER, ROOT_CONFIG } from '../common/tokens';
import type { RootConfig } from '../config/root-config';
import type { UserRecord } from '../persistence/records';
import { STORE, type Store } from '../persistence/store.port';

/**
 * Not an argon2 hash, so `verifyPassword` can never succeed (like `!` in /etc/shadow); login also
 * refuses service accounts outright.
 */
const NO_PASSWORD = '!service-account';

/**
 * The aerOS service account (AEROS_SERVICE_ACCOUNT): an ordinary non-admin user, created on first
 * use, that requests from AEROS_TRUSTED_NETWORKS and every API token act as. One owner for all
 * that an HLO creates, however it authenticated, so it always sees its own objects.
 */
@Injectable()
export class ServiceAccountService {
  constructor(
    @Inject(STORE) private readonly store: Store,
    @Inject(ROOT_CONFIG) private readonly config: RootConfig,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

  /** Finds or creates the account; a human user of the same name is never taken over. */
  async ensure(): Promise<UserRecord> {
    const username = this.config.aerosServiceAccount;
    const found = await this.find(username);
    if (found) {
      return found;
    }
    // Check-then-insert inside a transaction: both stores serialize them, so concurrent first
    // requests create one account, not two of the same name.
    return this.store.transaction(async () => {
      const again = await this.find(username);
      if (again) {
        return again;
      }
      const user = await this.store.users.insert({
        id: randomUUID(),
        username,
        role: 'Application_Provider',
        passwordHash: NO_PASSWORD,
        serviceAccount: true,
      });
      this.log.info({ username, userId: user.id }, 'aerOS service account created');
      return user;
    });
  }

  private async find(username: string): Promise<UserRecord | undefined> {
    const [user] = await this.store.users.find({ username });
    if (user && user.serviceAccount !== true) {
      throw new ConflictError(
        `AEROS_SERVICE_ACCOUNT names "${username}", an existing user that is not a service account; choose another name`,
        [],
        'USER_NAME_TAKEN',
      );
    }
    return user;
  }
}

export function principalOf(user: UserRecord, credential: Principal['credential']): Principal {
  const p: Principal = { userId: user.id, username: user.username, role: user.role };
  if (credential !== undefined) {
    p.credential = credential;
  }
  return p;
}
