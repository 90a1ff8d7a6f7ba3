import { createHmac } from 'node:crypto';
import { JwtService } from '@nestjs/jwt';
import { jwtPayload, startHttpRoot, type TestRoot } from './support/http-root';

const JWT_SECRET = 'a-test-signing-key-of-at-least-32-characters';

/** Issue 10, sessions: revocable user sessions and strict tokens, against a real root over HTTP. */
describe('sessions (issue 10, deliverable 4), real root over HTTP', () => {
  jest.setTimeout(120_000);
  let t: TestRoot;
  let admin: string;

  beforeAll(async () => {
    t = await startHttpRoot({ CANOPY_JWT_SECRET: JWT_SECRET });
    admin = (await t.login('Admin', t.adminPassword)).token;
  });

  it('a correctly signed token without exp, without iss or with another iss is refused', async () => {
    const claims = jwtPayload(admin);
    const { exp: _exp, iat: _iat, iss: _iss, ...rest } = claims;
    const jwt = new JwtService({ secret: JWT_SECRET });
    const forged = [
      await jwt.signAsync({ ...rest, iss: 'canopy-root' }), // no exp
      await jwt.signAsync(rest, { expiresIn: 60 }), // no iss
      await jwt.signAsync(rest, { expiresIn: 60, issuer: 'someone-else' }),
    ];
    for (const token of forged) {
      expect((await t.call('GET', '/api/users/me', { token })).status).toBe(401);
    }
    // The same claims with both, as the root signs them, are accepted: the refusals above are about exp and iss.
    const good = await jwt.signAsync(rest, { expiresIn: 60, issuer: 'canopy-root' });
    expect((await t.call('GET', '/api/users/me', { token: good })).status).toBe(200);
  });
  afterAll(async () => {
    await t.stop();
  });

  const createUser = async (username: string, role = 'Application_Provider') => {
    const res = await t.call('POST', '/api/users', {
      token: admin,
      body: { username, password: `${username}-password`, role },
    });
    expect(res.status).toBe(201);
    return res.body.id as string;
  };

  it("a deleted user's token is refused at once", async () => {
    const id = await createUser('gone');
    const { token } = await t.login('gone', 'gone-password');
    expect((await t.call('GET', '/api/applications', { token })).status).toBe(200);
    expect((await t.call('DELETE', `/api/user/${id}`, { token: admin })).status).toBe(200);
    expect((await t.call('GET', '/api/applications', { token })).status).toBe(401);
  });

  it("a demoted admin's token cannot create admins", async () => {
    const id = await createUser('boss', 'Admin');
    const { token } = await t.login('boss', 'boss-password');
    expect(
      (await t.call('PUT', `/api/user/${id}`, { token: admin, body: { role: 'Application_Provider' } })).status,
    ).toBe(200);
    const res = await t.call('POST', '/api/users', {
      token,
      body: { username: 'sneaky', password: 'sneaky-password', role: 'Admin' },
    });
    expect([401, 403]).toContain(res.status);
    expect((await t.call('GET', '/api/user/sneaky', { token: admin })).status).toBe(404);
  });

  it('a refresh token from before a password change is refused', async () => {
    const id = await createUser('dave');
    const before = await t.login('dave', 'dave-password');
    const changed = await t.call('PUT', `/api/user/${id}`, {
      token: before.token,
      body: { password: 'dave-password-2', current_password: 'dave-password' },
    });
    expect(changed.status).toBe(200);
    expect((await t.call('POST', '/api/auth/refresh', { body: { refresh_token: before.refresh_token } })).status).toBe(
      401,
    );
    expect((await t.call('GET', '/api/users/me', { token: before.token })).status).toBe(401);
    await t.login('dave', 'dave-password-2');
  });

  it('a password change needs the current password; an admin reset does not', async () => {
    const id = await createUser('erin');
    const { token } = await t.login('erin', 'erin-password');
    expect((await t.call('PUT', `/api/user/${id}`, { token, body: { password: 'erin-password-2' } })).status).toBe(400);
    expect(
      (
        await t.call('PUT', `/api/user/${id}`, {
          token,
          body: { password: 'erin-password-2', current_password: 'nope' },
        })
      ).status,
    ).toBe(403);
    expect(
      (await t.call('POST', '/api/user/erin', { token, body: { oldPassword: 'nope', newPassword: 'erin-password-2' } }))
        .status,
    ).toBe(403);
    expect((await t.call('PUT', `/api/user/${id}`, { token: admin, body: { password: 'erin-reset-1' } })).status).toBe(
      200,
    );
    await t.login('erin', 'erin-reset-1');
  });

  it('refresh tokens rotate, and a reused one revokes its whole family', async () => {
    await createUser('frank');
    const first = await t.login('frank', 'frank-password');
    const second = await t.call('POST', '/api/auth/refresh', { body: { refresh_token: first.refresh_token } });
    expect(second.status).toBe(200);
    expect(second.body.refresh_token).not.toBe(first.refresh_token);
    const replay = await t.call('POST', '/api/auth/refresh', { body: { refresh_token: first.refresh_token } });
    expect(replay.status).toBe(401);
    // The family is gone: the newest token of it is refused too.
    const after = await t.call('POST', '/api/auth/refresh', { body: { refresh_token: second.body.refresh_token } });
    expect(after.status).toBe(401);
    // Another login is another family, unaffected.
    const other = await t.login('frank', 'frank-password');
    expect((await t.call('POST', '/api/auth/refresh', { body: { refresh_token: other.refresh_token } })).status).toBe(
      200,
    );
  });

  it('login takes about as long for an unknown name as for a known one', async () => {
    await createUser('gina');
    const time = async (username: string) => {
      const start = process.hrtime.bigint();
      const res = await t.call('POST', '/api/auth/login', { body: { username, password: 'wrong-password' } });
      expect(res.status).toBe(401);
      return Number(process.hrtime.bigint() - start) / 1e6;
    };
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
    const known: number[] = [];
    const unknown: number[] = [];
    for (let i = 0; i < 7; i++) {
      known.push(await time('gina'));
      unknown.push(await time(`nobody${i}`));
    }
    // Both pay one argon2 verify; before, an unknown name answered in a fraction of the time.
    expect(median(unknown)).toBeGreaterThan(median(known) * 0.5);
  });

  it('refuses every forged token: alg none, another algorithm or key, a changed payload, expired, an old version', async () => {
    const [header, payload, signature] = admin.split('.') as [string, string, string];
    const claims = jwtPayload(admin);
    const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
    const hmac = (alg: 'sha256' | 'sha512', key: string, head: string, body: string) =>
      `${head}.${body}.${createHmac(alg, key).update(`${head}.${body}`).digest('base64url')}`;
    const hs256 = b64({ alg: 'HS256', typ: 'JWT' });
    const other = await createUser('victim');
    const forged = {
      'alg none': `${b64({ alg: 'none', typ: 'JWT' })}.${payload}.`,
      'alg none, signature kept': `${b64({ alg: 'none', typ: 'JWT' })}.${payload}.${signature}`,
      'HS512 with the real key': hmac('sha512', JWT_SECRET, b64({ alg: 'HS512', typ: 'JWT' }), payload),
      'another key': hmac('sha256', 'a-guessed-signing-key-of-32-characters!', hs256, payload),
      'payload changed, signature kept': `${header}.${b64({ ...claims, sub: other })}.${signature}`,
      expired: hmac('sha256', JWT_SECRET, hs256, b64({ ...claims, exp: Math.floor(Date.now() / 1000) - 5 })),
      'a token version not yet issued': hmac(
        'sha256',
        JWT_SECRET,
        hs256,
        b64({ ...claims, ver: Number(claims.ver) + 1 }),
      ),
      garbage: 'a.b.c',
    };
    for (const [kind, token] of Object.entries(forged)) {
      expect([kind, (await t.call('GET', '/api/users', { token })).status]).toEqual([kind, 401]);
    }
    // The control: the same claims, signed as the root signs them, are accepted.
    expect((await t.call('GET', '/api/users', { token: hmac('sha256', JWT_SECRET, hs256, payload) })).status).toBe(200);
  });

  it('a token of a deleted user stays refused when the name is created again', async () => {
    const id = await createUser('phoenix');
    const old = await t.login('phoenix', 'phoenix-password');
    expect((await t.call('DELETE', `/api/user/${id}`, { token: admin })).status).toBe(200);
    await createUser('phoenix');
    expect((await t.call('GET', '/api/applications', { token: old.token })).status).toBe(401);
    expect((await t.call('POST', '/api/auth/refresh', { body: { refresh_token: old.refresh_token } })).status).toBe(
      401,
    );
    await t.login('phoenix', 'phoenix-password');
  });

  it('one refresh token sent four times at once gives at most one new pair', async () => {
    await createUser('quad');
    const { refresh_token } = await t.login('quad', 'quad-password');
    const answers = await Promise.all(
      [0, 1, 2, 3].map(() => t.call('POST', '/api/auth/refresh', { body: { refresh_token } })),
    );
    expect(answers.filter((a) => a.status === 200).length).toBeLessThanOrEqual(1);
    expect(answers.every((a) => a.status === 200 || a.status === 401)).toBe(true);
  });
});
