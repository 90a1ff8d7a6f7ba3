import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { constantTimeEqual, NotFoundError, sha256Hex, UnauthorizedError } from '@canopy/nest-edge';
import type { Principal } from '../auth/principal';
import { CLOCK, LOGGER, type Clock } from '../common/tokens';
import type { ApiTokenRecord } from '../persistence/records';
import { STORE, type Store } from '../persistence/store.port';
import { mintApiToken, parseApiToken } from './api-token.format';
import { principalOf, ServiceAccountService } from './service-account.service';

const DAY_MS = 86_400_000;

/** Long-lived API tokens for machine clients (an aerOS HLO); the guard accepts them on @AerosApi() routes only. */
@Injectable()
export class ApiTokensService {
  constructor(
    @Inject(STORE) private readonly store: Store,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(LOGGER) private readonly log: Logger,
    private readonly serviceAccount: ServiceAccountService,
  ) {}

  async mint(
    admin: Principal,
    name: string,
    expiresInDays?: number,
  ): Promise<{ record: ApiTokenRecord; token: string }> {
    const account = await this.serviceAccount.ensure();
    const minted = mintApiToken();
    const doc: Omit<ApiTokenRecord, 'version' | 'createdAt' | 'updatedAt'> = {
      id: minted.id,
      name,
      secretHash: minted.secretHash,
      userId: account.id,
      createdBy: admin.userId,
    };
    if (expiresInDays !== undefined) {
      doc.expiresAt = new Date(this.clock.now().getTime() + expiresInDays * DAY_MS).toISOString();
    }
    const record = await this.store.apiTokens.insert(doc);
    // The id only: the value is never logged.
    this.log.info({ tokenId: record.id, name, by: admin.username, actsAs: account.username }, 'API token minted');
    return { record, token: minted.token };
  }

  list(): Promise<ApiTokenRecord[]> {
    return this.store.apiTokens.find();
  }

  async revoke(admin: Principal, id: string): Promise<void> {
    if (!(await this.store.apiTokens.delete(id))) {
      throw new NotFoundError('API token', id);
    }
    this.log.info({ tokenId: id, by: admin.username }, 'API token revoked');
  }

  /**
   * The principal a token acts as. Read on every request, like a JWT's user: a revoked token, an
   * expired one, or one whose account was deleted stops working at once.
   */
  async authenticate(token: string): Promise<Principal> {
    const parsed = parseApiToken(token);
    if (!parsed) {
      throw new UnauthorizedError('malformed API token');
    }
    const record = await this.store.apiTokens.get(parsed.id);
    // The same answer for an unknown id and a wrong secret; the hash of the secret is compared in constant time.
    if (!record || !constantTimeEqual(sha256Hex(parsed.secret), record.secretHash)) {
      throw new UnauthorizedError('unknown or revoked API token');
    }
    if (record.expiresAt !== undefined && Date.parse(record.expiresAt) <= this.clock.now().getTime()) {
      throw new UnauthorizedError(`the API token expired at ${record.expiresAt}`);
    }
    const user = await this.store.users.get(record.userId);
    if (!user) {
      throw new UnauthorizedError("the API token's account no longer exists");
    }
    return principalOf(user, { kind: 'api-token', tokenId: record.id });
  }
}
