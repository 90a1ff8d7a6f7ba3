import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { loadRootConfig } from '../src/config/root-config';
import { startRoot, type RootHandle } from '../src/root.bootstrap';

/** Issue 10's edge findings against a real root over HTTP: each one a request a user could send. */
describe('root edges: encodings, security headers, write-only secrets, unique names', () => {
  let root: RootHandle;
  let dir: string;
  let admin: string;

  const call = async (method: string, path: string, body?: unknown, token = admin) => {
    const res = await fetch(`${root.url}${path}`, {
      method,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, text, body: text === '' ? undefined : JSON.parse(text) };
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'canopy-trust-'));
    root = await startRoot(
      loadRootConfig({
        ROOT_PORT: '0',
        ROOT_HOST: '127.0.0.1',
        ROOT_DATA_DIR: dir,
        CANOPY_ADMIN_PASSWORD: 'trust-admin-pw',
        LOGIN_RATE_LIMIT: '1000',
      }),
      pino({ level: 'silent' }),
    );
    const login = await fetch(`${root.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'Admin', password: 'trust-admin-pw' }),
    });
    admin = ((await login.json()) as { token: string }).token;
  });

  afterAll(async () => {
    await root.stop();
    rmSync(dir, { recursive: true, force: true });
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
    const created = await call('POST', '/api/application', {
      sla_version: 'v2.0',
      customerID: 'c',
      applications: [
        {
          applicationID: '',
          application_name: 'private',
          application_namespace: 'ns',
          application_desc: '',
          microservices: [
            {
              microservice_name: 'web',
              microservice_namespace: 'ns',
              virtualization: 'container',
              code: 'registry.example.org/team/web:1',
              memory: 16,
              image_registry: { url: 'registry.example.org', username: 'robot', password: 'hunter2-registry-pw' },
            },
          ],
        },
      ],
    });
    expect(created.status).toBe(201);
    const app = created.body.applications[0];
    const one = await call('GET', `/api/service/${app.microservices[0]}`);
    expect(one.status).toBe(200);
    expect(one.body.image_registry).toEqual({ url: 'registry.example.org', username: 'robot' });
    const list = await call('GET', `/api/services/${app.applicationID}`);
    expect(list.status).toBe(200);
    for (const text of [one.text, list.text, created.text]) expect(text).not.toContain('hunter2-registry-pw');
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
