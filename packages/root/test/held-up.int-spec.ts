import { startHttpRoot, type TestRoot } from './support/http-root';

/** What the assessment of issue 10 found holding up, kept so: login rate limit, body limit, prototype pollution. */
describe('what held up at the root (real HTTP)', () => {
  let t: TestRoot;
  let admin: string;

  beforeAll(async () => {
    t = await startHttpRoot({ LOGIN_RATE_LIMIT: '5' });
    admin = (await t.login('Admin', t.adminPassword)).token;
  });

  afterAll(async () => {
    await t.stop();
  });

  it('limits login attempts per address and name (429), and another name is not locked out', async () => {
    const attempt = (username: string) =>
      t.call('POST', '/api/auth/login', { body: { username, password: 'wrong-password-x' } });
    const statuses = [];
    for (let i = 0; i < 7; i++) {
      statuses.push((await attempt('Admin')).status);
    }
    expect(statuses.slice(0, 4)).toEqual([401, 401, 401, 401]);
    expect(statuses.slice(-2)).toEqual([429, 429]);
    expect((await attempt('someone-else')).status).toBe(401);
  });

  it('answers a body over the limit with 413, before any handler', async () => {
    const res = await t.call('POST', '/api/organizations', {
      token: admin,
      body: { name: 'big', pad: 'x'.repeat(2 << 20) },
    });
    expect(res.status).toBe(413);
    expect(res.body.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('lets no __proto__ or constructor key of a body reach an object prototype', async () => {
    const res = await fetch(`${t.root.url}/api/organizations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${admin}` },
      body: '{"name":"proto","__proto__":{"polluted":"yes"},"constructor":{"prototype":{"polluted":"yes"}}}',
    });
    expect(res.status).toBeLessThan(500);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    const orgs = await t.call('GET', '/api/organizations', { token: admin });
    expect(JSON.stringify(orgs.body)).not.toContain('polluted');
  });
});
