import { postMalformedEncodings, testMicroservice, testSla } from '@canopy/testing';
import { startHttpRoot, type TestRoot } from './support/http-root';

const METRICS_TOKEN = 'root-metrics-token-0123456789';

/** Issue 10's edge findings against a real root over HTTP: each one a request a user could send. */
describe('root edges: encodings, security headers, write-only secrets, unique names', () => {
  let t: TestRoot;
  let root: TestRoot['root'];
  let admin: string;

  /** The answer, with its body also as the text a client would receive (checked for leaks). */
  const call = async (method: string, path: string, body?: unknown, token = admin) => {
    const res = await t.call(method, path, { token, ...(body !== undefined ? { body } : {}) });
    return { ...res, text: res.body === undefined ? '' : JSON.stringify(res.body) };
  };

  beforeAll(async () => {
    t = await startHttpRoot({ CANOPY_METRICS_TOKEN: METRICS_TOKEN });
    root = t.root;
    admin = (await t.login('Admin', t.adminPassword)).token;
  });

  afterAll(async () => {
    await t.stop();
  });

  it('answers a gzip body that is not gzip with 400, without a token and without a stack', async () => {
    const res = await fetch(`${root.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
      body: 'this is not gzip',
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toEqual({ statusCode: 400, code: 'BAD_REQUEST', message: expect.any(String), errors: [] });
    expect(JSON.stringify(body)).not.toMatch(/at .*\.js|zlib/);
  });

  it('answers every lying or unknown content-encoding with its 4xx, never a 5xx or a stack', async () => {
    for (const r of await postMalformedEncodings(`${root.url}/api/auth/login`)) {
      expect([r.name, r.status]).toEqual([r.name, r.expected]);
      expect(r.body).not.toMatch(/at .*\.js|zlib/);
    }
  });

  it('answers a metrics token with non-ASCII bytes with 401, not 500', async () => {
    const bad = await fetch(`${root.url}/metrics`, {
      headers: { authorization: `Bearer ${'é'.repeat(METRICS_TOKEN.length)}` },
    });
    expect(bad.status).toBe(401);
    const ok = await fetch(`${root.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    expect(ok.status).toBe(200);
  });

  it("sends helmet's security headers and keeps the Swagger UI serving", async () => {
    const res = await fetch(`${root.url}/health`);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(res.headers.get('strict-transport-security')).toContain('max-age=');
    const docs = await fetch(`${root.url}/api/docs/`);
    expect(docs.status).toBe(200);
    const html = await docs.text();
    expect(html).toContain('swagger-ui');
    // Every script the page loads is same-origin (the CSP allows 'self' only).
    for (const [, src] of html.matchAll(/<script[^>]*src="([^"]+)"/g)) {
      expect(src).not.toMatch(/^https?:/);
      expect((await fetch(new URL(src ?? '', `${root.url}/api/docs/`))).status).toBe(200);
    }
  });

  it('never returns a registry password, in the service view or the list', async () => {
    const created = await call(
      'POST',
      '/api/application',
      testSla('private', [
        testMicroservice({
          code: 'registry.example.org/team/web:1',
          image_registry: { url: 'registry.example.org', username: 'robot', password: 'hunter2-registry-pw' },
        }),
      ]),
    );
    expect(created.status).toBe(201);
    const app = created.body.applications[0];
    const one = await call('GET', `/api/service/${app.microservices[0]}`);
    expect(one.status).toBe(200);
    expect(one.body.image_registry).toEqual({ url: 'registry.example.org', username: 'robot' });
    const list = await call('GET', `/api/services/${app.applicationID}`);
    expect(list.status).toBe(200);
    for (const text of [one.text, list.text, created.text]) {
      expect(text).not.toContain('hunter2-registry-pw');
    }
  });

  it('creates one user when three identical POST /api/users race', async () => {
    const body = { username: 'racer', password: 'racer-password-1', role: 'Application_Provider' };
    const results = await Promise.all([0, 1, 2].map(() => call('POST', '/api/users', body)));
    expect(results.map((r) => r.status).sort()).toEqual([201, 409, 409]);
    const users = await call('GET', '/api/users');
    expect((users.body as { username: string }[]).filter((u) => u.username === 'racer')).toHaveLength(1);
  });

  it('creates one organization when three identical POST /api/organizations race', async () => {
    const results = await Promise.all([0, 1, 2].map(() => call('POST', '/api/organizations', { name: 'racers' })));
    expect(results.map((r) => r.status).sort()).toEqual([201, 409, 409]);
    const orgs = await call('GET', '/api/organizations');
    expect((orgs.body as { name: string }[]).filter((o) => o.name === 'racers')).toHaveLength(1);
  });
});
