import { JwtService } from '@nestjs/jwt';
import { jwtPayload, startHttpRoot, type TestRoot } from './support/http-root';

const JWT_SECRET = 'a-test-signing-key-of-at-least-32-characters';

/** Issue 10: what a session token is and how long it lives, against a real root over HTTP. */
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
});
