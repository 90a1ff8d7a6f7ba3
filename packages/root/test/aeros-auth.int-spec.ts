import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { loadRootConfig } from '../src/config/root-config';
import { testMicroservice, testSla } from '@canopy/testing';
import { startRootWithAerosProbe, type ProbeRoot } from './support/aeros-probe';
import { jsonCall } from './support/http-root';

const call = (root: ProbeRoot, method: string, path: string, opts: Parameters<typeof jsonCall>[3] = {}) =>
  jsonCall(root.url, method, path, opts);

const sla = (name: string) => testSla(name, [testMicroservice()], { customerID: 'hlo' });

/** A root over HTTP with a log captured in memory; `env` on top of a test baseline. */
async function start(env: Record<string, string>): Promise<{ root: ProbeRoot; logs: string[]; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'canopy-aeros-auth-'));
  const logs: string[] = [];
  const log = pino({ level: 'info' }, { write: (line: string) => void logs.push(line) });
  const root = await startRootWithAerosProbe(
    loadRootConfig({
      ROOT_PORT: '0',
      ROOT_HOST: '127.0.0.1',
      ROOT_DATA_DIR: dir,
      CANOPY_ADMIN_PASSWORD: 'admin-password-1',
      LOGIN_RATE_LIMIT: '1000',
      ...env,
    }),
    log,
  );
  return { root, logs, dir };
}

async function login(root: ProbeRoot, username: string, password: string): Promise<string> {
  const res = await call(root, 'POST', '/api/auth/login', { body: { username, password } });
  expect(res.status).toBe(200);
  return res.body.token as string;
}

/**
 * Deliverable 6 of the aerOS issue, against a real root over HTTP: API tokens and trusted networks
 * on @AerosApi() routes (a test-only probe controller stands in for the aerOS controllers).
 */
describe('aerOS machine auth: API tokens (real root over HTTP)', () => {
  jest.setTimeout(60_000);
  let root: ProbeRoot;
  let logs: string[];
  let dir: string;
  let admin: string;
  let alice: string;
  let token: string;
  let tokenId: string;

  beforeAll(async () => {
    // A trusted network that is not loopback: the test's own requests are not trusted.
    ({ root, logs, dir } = await start({ AEROS_TRUSTED_NETWORKS: '10.0.0.0/8', LOG_HTTP: 'true' }));
    admin = await login(root, 'Admin', 'admin-password-1');
    const created = await call(root, 'POST', '/api/users', {
      token: admin,
      body: { username: 'alice', password: 'alice-password', role: 'Application_Provider' },
    });
    expect(created.status).toBe(201);
    alice = await login(root, 'alice', 'alice-password');
  });

  afterAll(async () => {
    await root.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('an admin mints a token: 201 with its value, shown once; the list never shows it', async () => {
    const minted = await call(root, 'POST', '/api/tokens', { token: admin, body: { name: 'hlo domain1' } });
    expect(minted.status).toBe(201);
    expect(minted.body).toEqual({
      id: expect.stringMatching(/^[0-9a-f]{16}$/),
      name: 'hlo domain1',
      token: expect.stringMatching(/^canopy_at_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/),
      created_at: expect.any(String),
      expires_at: null,
      created_by: expect.any(String),
      user_id: expect.any(String),
    });
    token = minted.body.token;
    tokenId = minted.body.id;
    const listed = await call(root, 'GET', '/api/tokens', { token: admin });
    expect(listed.status).toBe(200);
    expect(listed.body).toEqual([{ ...minted.body, token: undefined }].map(({ token: _t, ...rest }) => rest));
    expect(JSON.stringify(listed.body)).not.toContain(token.slice(-43));
    expect(JSON.stringify(listed.body)).not.toContain('secretHash');
  });

  it('sets expires_at from expires_in_days, and validates the body', async () => {
    const before = Date.now();
    const minted = await call(root, 'POST', '/api/tokens', {
      token: admin,
      body: { name: 'short', expires_in_days: 2 },
    });
    expect(minted.status).toBe(201);
    const expires = Date.parse(minted.body.expires_at);
    expect(expires).toBeGreaterThanOrEqual(before + 2 * 86_400_000);
    expect(expires).toBeLessThan(Date.now() + 2 * 86_400_000 + 1000);
    const bad = await call(root, 'POST', '/api/tokens', { token: admin, body: { name: '', expires_in_days: 0 } });
    expect(bad.status).toBe(400);
    expect(bad.body.errors.map((e: { path: string }) => e.path).sort()).toEqual(['expires_in_days', 'name']);
  });

  it('only admins manage tokens', async () => {
    expect((await call(root, 'POST', '/api/tokens', { token: alice, body: { name: 'x' } })).status).toBe(403);
    expect((await call(root, 'GET', '/api/tokens', { token: alice })).status).toBe(403);
    expect((await call(root, 'DELETE', `/api/tokens/${tokenId}`, { token: alice })).status).toBe(403);
  });

  it('the token acts as the aerOS service account on an aerOS route', async () => {
    const me = await call(root, 'GET', '/aeros-probe/whoami', { token });
    expect(me.status).toBe(200);
    expect(me.body).toEqual({
      userId: expect.any(String),
      username: 'aeros',
      role: 'Application_Provider',
      credential: { kind: 'api-token', tokenId },
    });
    const listed = await call(root, 'GET', '/api/tokens', { token: admin });
    expect(listed.body[0].user_id).toBe(me.body.userId);
    // A user's JWT still works there, as that user.
    expect((await call(root, 'GET', '/aeros-probe/whoami', { token: alice })).body).toMatchObject({
      username: 'alice',
    });
  });

  it('works on the real LLO API (marked @AerosApi()), as kubectl or an HLO would call it', async () => {
    const listed = await call(root, 'GET', '/v1/service-components?type=docker', { token });
    expect(listed.status).toBe(200);
    expect(listed.body).toEqual([]);
    expect((await call(root, 'GET', '/v1/service-components?type=docker')).status).toBe(401);
  });

  it('is refused with 403 on a route that is not an aerOS route, naming why', async () => {
    for (const path of ['/api/applications', '/api/users/me', '/api/tokens']) {
      const res = await call(root, 'GET', path, { token });
      expect({ path, status: res.status }).toEqual({ path, status: 403 });
      expect(res.body.message).toContain('API tokens are accepted only on the aerOS routes');
    }
  });

  it('what the token creates belongs to the service account: visible to it and to admins, not to others', async () => {
    const created = await call(root, 'POST', '/aeros-probe/applications', { token, body: sla('hloapp') });
    expect(created.status).toBe(201);
    const [appId] = created.body.ids as string[];
    expect((await call(root, 'GET', '/aeros-probe/applications', { token })).body.ids).toContain(appId);
    expect((await call(root, 'GET', '/aeros-probe/applications', { token: alice })).body.ids).not.toContain(appId);
    const all = (await call(root, 'GET', '/api/applications', { token: admin })).body as { applicationID: string }[];
    expect(all.map((a) => a.applicationID)).toContain(appId);
  });

  it('refuses wrong, malformed and foreign tokens with 401', async () => {
    const wrongSecret = `canopy_at_${tokenId}_${'A'.repeat(43)}`;
    for (const bad of [wrongSecret, `canopy_at_${'0'.repeat(16)}_${'A'.repeat(43)}`, 'canopy_at_short', 'not-a-jwt']) {
      const res = await call(root, 'GET', '/aeros-probe/whoami', { token: bad });
      expect({ bad, status: res.status }).toEqual({ bad, status: 401 });
    }
    expect((await call(root, 'GET', '/aeros-probe/whoami', { token: wrongSecret })).body.message).toBe(
      'unknown or revoked API token',
    );
  });

  it('without a header from an untrusted address: 401, and X-Forwarded-For is not believed', async () => {
    expect((await call(root, 'GET', '/aeros-probe/whoami')).status).toBe(401);
    const spoofed = await call(root, 'GET', '/aeros-probe/whoami', { headers: { 'x-forwarded-for': '10.1.2.3' } });
    expect(spoofed.status).toBe(401);
  });

  it('the service account cannot log in with a password', async () => {
    for (const password of ['!service-account', 'anything-at-all']) {
      const res = await call(root, 'POST', '/api/auth/login', { body: { username: 'aeros', password } });
      expect(res.status).toBe(401);
      expect(res.body.message).toBe('wrong username or password');
    }
  });

  it('revoking takes effect at once: the next request is 401', async () => {
    expect((await call(root, 'GET', '/aeros-probe/whoami', { token })).status).toBe(200);
    const revoked = await call(root, 'DELETE', `/api/tokens/${tokenId}`, { token: admin });
    expect(revoked).toMatchObject({ status: 200, body: { deleted: tokenId } });
    const after = await call(root, 'GET', '/aeros-probe/whoami', { token });
    expect(after.status).toBe(401);
    expect(after.body.message).toBe('unknown or revoked API token');
    expect((await call(root, 'DELETE', `/api/tokens/${tokenId}`, { token: admin })).status).toBe(404);
    expect(
      ((await call(root, 'GET', '/api/tokens', { token: admin })).body as { id: string }[]).map((t) => t.id),
    ).not.toContain(tokenId);
  });

  it('never writes a token to the log (LOG_HTTP=true logs every request, Authorization redacted)', () => {
    const text = logs.join('');
    expect(text).toContain('"url":"/aeros-probe/whoami"');
    expect(text).toContain('[redacted]');
    expect(text).toContain('API token minted');
    expect(text).not.toContain(token);
    expect(text).not.toContain(token.slice(-43));
    expect(text).not.toContain(admin);
  });
});

describe('aerOS machine auth: trusted networks (real root over HTTP)', () => {
  jest.setTimeout(60_000);
  let root: ProbeRoot;
  let dir: string;
  let admin: string;

  beforeAll(async () => {
    ({ root, dir } = await start({
      AEROS_TRUSTED_NETWORKS: '127.0.0.0/8, ::1/128',
      AEROS_SERVICE_ACCOUNT: 'hlo-domain1',
    }));
    admin = await login(root, 'Admin', 'admin-password-1');
  });

  afterAll(async () => {
    await root.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('concurrent first requests make one account, an ordinary non-admin user', async () => {
    const replies = await Promise.all(Array.from({ length: 8 }, () => call(root, 'GET', '/aeros-probe/whoami')));
    expect(replies.map((r) => r.status)).toEqual(Array(8).fill(200));
    expect(new Set(replies.map((r) => r.body.userId)).size).toBe(1);
    const users = (await call(root, 'GET', '/api/users', { token: admin })).body as {
      username: string;
      role: string;
    }[];
    expect(users.filter((u) => u.username === 'hlo-domain1')).toEqual([
      expect.objectContaining({ role: 'Application_Provider' }),
    ]);
  });

  it('a request with no Authorization header from 127.0.0.0/8 acts as the service account', async () => {
    const me = await call(root, 'GET', '/aeros-probe/whoami');
    expect(me.status).toBe(200);
    expect(me.body).toEqual({
      userId: expect.any(String),
      username: 'hlo-domain1',
      role: 'Application_Provider',
      credential: { kind: 'trusted-network', address: expect.stringMatching(/127\.0\.0\.1$/) },
    });
  });

  it('the real LLO API answers a trusted-network request with no header', async () => {
    const listed = await call(root, 'GET', '/v1/service-components?type=docker');
    expect(listed.status).toBe(200);
    expect(listed.body).toEqual([]);
  });

  it('a bad token is refused even from a trusted network, and so is a non-bearer header', async () => {
    expect((await call(root, 'GET', '/aeros-probe/whoami', { token: 'not-a-jwt' })).status).toBe(401);
    expect(
      (await call(root, 'GET', '/aeros-probe/whoami', { token: `canopy_at_${'0'.repeat(16)}_${'A'.repeat(43)}` }))
        .status,
    ).toBe(401);
    expect(
      (await call(root, 'GET', '/aeros-probe/whoami', { headers: { authorization: 'Basic YWVyb3M6eA==' } })).status,
    ).toBe(401);
    expect((await call(root, 'GET', '/aeros-probe/whoami', { headers: { authorization: '' } })).status).toBe(401);
  });

  it('keeps the service account’s name from being given to a human user', async () => {
    const res = await call(root, 'POST', '/api/users', {
      token: admin,
      body: { username: 'hlo-domain1', password: 'password-123', role: 'Application_Provider' },
    });
    expect(res.status).toBe(409);
    expect(res.body.message).toContain('reserved for the aerOS service account');
  });

  it('grants nothing outside the aerOS routes', async () => {
    expect((await call(root, 'GET', '/api/applications')).status).toBe(401);
    expect((await call(root, 'GET', '/api/users/me')).status).toBe(401);
  });

  it('trusted-network requests and the API token are one principal: each sees what the other created', async () => {
    const minted = await call(root, 'POST', '/api/tokens', { token: admin, body: { name: 'hlo' } });
    const token = minted.body.token as string;
    const viaNetwork = (await call(root, 'POST', '/aeros-probe/applications', { body: sla('vianet') })).body.ids[0];
    const viaToken = (await call(root, 'POST', '/aeros-probe/applications', { token, body: sla('viatoken') })).body
      .ids[0];
    expect((await call(root, 'GET', '/aeros-probe/applications', { token })).body.ids).toEqual(
      expect.arrayContaining([viaNetwork, viaToken]),
    );
    expect((await call(root, 'GET', '/aeros-probe/applications')).body.ids).toEqual(
      expect.arrayContaining([viaNetwork, viaToken]),
    );
    expect((await call(root, 'GET', '/aeros-probe/whoami', { token })).body.username).toBe('hlo-domain1');
  });
});
