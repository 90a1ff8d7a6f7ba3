import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { ConflictError, UnauthorizedError } from '@canopy/nest-edge';
import { ApiTokensService } from '../src/api-tokens/api-tokens.service';
import { ServiceAccountService } from '../src/api-tokens/service-account.service';
import type { Principal } from '../src/auth/principal';
import type { Clock } from '../src/common/tokens';
import { loadRootConfig } from '../src/config/root-config';
import { SqliteStore } from '../src/persistence/sqlite.store';

/** A clock the test moves by hand. */
class ManualClock implements Clock {
  constructor(private t: number) {}
  now(): Date {
    return new Date(this.t);
  }
  advance(ms: number): void {
    this.t += ms;
  }
}

const DAY = 86_400_000;
const admin: Principal = { userId: 'admin-1', username: 'Admin', role: 'Admin' };

/** ApiTokensService on a real SQLite store with a hand-driven clock: expiry and account lifecycle. */
describe('API tokens (service on a real SQLite store)', () => {
  let dir: string;
  let store: SqliteStore;
  let clock: ManualClock;
  let tokens: ApiTokensService;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'canopy-api-tokens-'));
    store = new SqliteStore(dir);
    clock = new ManualClock(Date.parse('2030-01-01T00:00:00.000Z'));
    const log = pino({ level: 'silent' });
    const config = loadRootConfig({ ROOT_DATA_DIR: dir, AEROS_SERVICE_ACCOUNT: 'hlo' });
    tokens = new ApiTokensService(store, clock, log, new ServiceAccountService(store, config, log));
  });

  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('stores the hash, never the token, and the token authenticates as the service account', async () => {
    const { record, token } = await tokens.mint(admin, 'hlo');
    const stored = JSON.stringify(await store.apiTokens.find());
    expect(stored).not.toContain(token);
    expect(stored).not.toContain(token.slice(-43));
    const p = await tokens.authenticate(token);
    expect(p).toEqual({
      userId: record.userId,
      username: 'hlo',
      role: 'Application_Provider',
      credential: { kind: 'api-token', tokenId: record.id },
    });
    expect(await store.users.get(record.userId)).toMatchObject({ serviceAccount: true, role: 'Application_Provider' });
  });

  it('expires at expires_in_days, to the millisecond', async () => {
    const { record, token } = await tokens.mint(admin, 'short', 1);
    expect(record.expiresAt).toBe('2030-01-02T00:00:00.000Z');
    clock.advance(DAY - 1);
    await expect(tokens.authenticate(token)).resolves.toMatchObject({ username: 'hlo' });
    clock.advance(1);
    await expect(tokens.authenticate(token)).rejects.toThrow('the API token expired at 2030-01-02T00:00:00.000Z');
    const forever = await tokens.mint(admin, 'forever');
    clock.advance(3650 * DAY);
    await expect(tokens.authenticate(forever.token)).resolves.toMatchObject({ username: 'hlo' });
  });

  it('stops working when revoked or when its account is deleted', async () => {
    const a = await tokens.mint(admin, 'a');
    const b = await tokens.mint(admin, 'b');
    await tokens.revoke(admin, a.record.id);
    await expect(tokens.authenticate(a.token)).rejects.toThrow('unknown or revoked API token');
    await expect(tokens.authenticate(b.token)).resolves.toMatchObject({ username: 'hlo' });
    await store.users.delete(b.record.userId);
    await expect(tokens.authenticate(b.token)).rejects.toBeInstanceOf(UnauthorizedError);
    await expect(tokens.authenticate(b.token)).rejects.toThrow("the API token's account no longer exists");
  });

  it('acts with the account’s current role (read on every request)', async () => {
    const { record, token } = await tokens.mint(admin, 'x');
    const user = await store.users.get(record.userId);
    if (!user) {
      throw new Error('missing');
    }
    await store.users.update({ ...user, role: 'Admin' });
    await expect(tokens.authenticate(token)).resolves.toMatchObject({ role: 'Admin' });
  });

  it('creates one service account however many first uses race (check-then-insert in a transaction)', async () => {
    const log = pino({ level: 'silent' });
    const accounts = new ServiceAccountService(store, loadRootConfig({ ROOT_DATA_DIR: dir }), log);
    const ids = await Promise.all(Array.from({ length: 8 }, async () => (await accounts.ensure()).id));
    expect(new Set(ids).size).toBe(1);
    expect(await store.users.find({ username: 'aeros' })).toHaveLength(1);
  });

  it('never takes over a human user that has the service account’s name', async () => {
    await store.users.insert({ id: 'u1', username: 'hlo', role: 'Admin', passwordHash: '$argon2id$x' });
    await expect(tokens.mint(admin, 'x')).rejects.toBeInstanceOf(ConflictError);
    await expect(tokens.mint(admin, 'x')).rejects.toThrow('AEROS_SERVICE_ACCOUNT names "hlo"');
    expect(await store.apiTokens.find()).toEqual([]);
  });
});
