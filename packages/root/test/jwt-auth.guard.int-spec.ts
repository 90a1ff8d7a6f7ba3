import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { JwtService } from '@nestjs/jwt';
import pino from 'pino';
import { ForbiddenError, UnauthorizedError } from '@canopy/nest-edge';
import { ApiTokensService } from '../src/api-tokens/api-tokens.service';
import { ServiceAccountService } from '../src/api-tokens/service-account.service';
import { AuthService } from '../src/auth/auth.service';
import { JwtAuthGuard } from '../src/auth/jwt-auth.guard';
import { AdminOnly, AerosApi, Public, type Principal } from '../src/auth/principal';
import { systemClock } from '../src/common/tokens';
import { loadRootConfig } from '../src/config/root-config';
import { SqliteStore } from '../src/persistence/sqlite.store';
import { UsersService } from '../src/users/users.service';

/** Controllers only for their metadata: the guard reads the decorators through Nest's Reflector. */
@AerosApi()
class AerosController {
  list(): void {}
  @AdminOnly() adminOnly(): void {}
}

class PlainController {
  list(): void {}
  @AerosApi() aerosHandler(): void {}
  @Public() open(): void {}
}

interface FakeRequest {
  headers: { authorization?: string };
  socket: { remoteAddress?: string };
  principal?: Principal;
}

/** The slice of ExecutionContext the guard reads, for one HTTP request to one handler. */
function httpContext(cls: new () => object, handler: string, req: FakeRequest, type = 'http'): ExecutionContext {
  const fn = (cls.prototype as Record<string, () => void>)[handler];
  if (!fn) {
    throw new Error(`no handler ${handler}`);
  }
  const ctx: Pick<ExecutionContext, 'getType' | 'getHandler' | 'getClass' | 'switchToHttp'> = {
    getType: <T extends string>() => type as T,
    getHandler: () => fn,
    getClass: <T>() => cls as T,
    switchToHttp: () => ({
      getRequest: <T>() => req as T,
      getResponse: <T>() => ({}) as T,
      getNext: <T>() => (() => undefined) as T,
    }),
  };
  return ctx as ExecutionContext;
}

const req = (authorization?: string, remoteAddress = '10.9.8.7'): FakeRequest => ({
  headers: authorization === undefined ? {} : { authorization },
  socket: { remoteAddress },
});

/**
 * The global guard driven through a fake ExecutionContext, with its real collaborators on a real
 * SQLite store: which metadata (class or handler) lets which credential in.
 */
describe('JwtAuthGuard with a fake ExecutionContext', () => {
  let dir: string;
  let store: SqliteStore;
  let guard: JwtAuthGuard;
  let tokens: ApiTokensService;
  let auth: AuthService;
  let users: UsersService;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'canopy-guard-'));
    store = new SqliteStore(dir);
    const log = pino({ level: 'silent' });
    const config = loadRootConfig({ ROOT_DATA_DIR: dir, AEROS_TRUSTED_NETWORKS: '10.0.0.0/8' });
    const jwt = new JwtService({ secret: 'x'.repeat(32), signOptions: { algorithm: 'HS256', issuer: 'canopy-root' } });
    users = new UsersService(store, config, log);
    auth = new AuthService(jwt, users, config);
    const serviceAccount = new ServiceAccountService(store, config, log);
    tokens = new ApiTokensService(store, systemClock, log, serviceAccount);
    guard = new JwtAuthGuard(new Reflector(), auth, tokens, serviceAccount, config);
  });

  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const admin: Principal = { userId: 'a1', username: 'Admin', role: 'Admin' };

  it('lets a trusted address without a header in on a class marked @AerosApi(), as the service account', async () => {
    const r = req();
    await expect(guard.canActivate(httpContext(AerosController, 'list', r))).resolves.toBe(true);
    expect(r.principal).toMatchObject({
      username: 'aeros',
      role: 'Application_Provider',
      credential: { kind: 'trusted-network', address: '10.9.8.7' },
    });
  });

  it('honours @AerosApi() on a single handler and nowhere else in that controller', async () => {
    await expect(guard.canActivate(httpContext(PlainController, 'aerosHandler', req()))).resolves.toBe(true);
    await expect(guard.canActivate(httpContext(PlainController, 'list', req()))).rejects.toBeInstanceOf(
      UnauthorizedError,
    );
    await expect(guard.canActivate(httpContext(PlainController, 'open', req()))).resolves.toBe(true);
  });

  it('an API token: accepted on aerOS handlers, 403 elsewhere, 401 when wrong', async () => {
    const { token } = await tokens.mint(admin, 'hlo');
    const bearer = `Bearer ${token}`;
    const r = req(bearer, '192.0.2.1');
    await expect(guard.canActivate(httpContext(AerosController, 'list', r))).resolves.toBe(true);
    expect(r.principal?.credential).toMatchObject({ kind: 'api-token' });
    await expect(guard.canActivate(httpContext(PlainController, 'list', req(bearer)))).rejects.toBeInstanceOf(
      ForbiddenError,
    );
    const wrong = `Bearer ${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`;
    await expect(guard.canActivate(httpContext(AerosController, 'list', req(wrong)))).rejects.toBeInstanceOf(
      UnauthorizedError,
    );
  });

  it('role checks still apply to machine principals (@AdminOnly on an aerOS handler is 403)', async () => {
    await expect(guard.canActivate(httpContext(AerosController, 'adminOnly', req()))).rejects.toBeInstanceOf(
      ForbiddenError,
    );
  });

  it('a user JWT works as before, on aerOS routes and elsewhere', async () => {
    const user = await users.create('alice', 'alice-password', 'Application_Provider');
    const { token } = await auth.login('alice', 'alice-password');
    for (const [cls, handler] of [
      [AerosController, 'list'],
      [PlainController, 'list'],
    ] as const) {
      const r = req(`Bearer ${token}`, '192.0.2.1');
      await expect(guard.canActivate(httpContext(cls, handler, r))).resolves.toBe(true);
      expect(r.principal).toEqual({ userId: user.id, username: 'alice', role: 'Application_Provider' });
    }
  });

  it('leaves non-HTTP contexts (the clusters’ Socket.IO gateway) to their own auth', async () => {
    await expect(guard.canActivate(httpContext(PlainController, 'list', req(), 'ws'))).resolves.toBe(true);
  });
});
