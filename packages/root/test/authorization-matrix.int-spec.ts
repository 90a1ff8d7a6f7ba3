import { CALLERS, Matrix, type Caller, type Route } from './support/authorization-matrix';
import { accountRoutes } from './support/authorization-routes.accounts';
import { aerosRoutes, k8sRoutes } from './support/authorization-routes.aeros';
import { applicationRoutes, eventRoutes } from './support/authorization-routes.applications';

/**
 * Issue 3: the authorization matrix. Every route × {no token, bad token, an API token, another
 * user's token, the owner's token, an admin's}; each cell's status is asserted, against a real root over HTTP.
 * The rows are in support/authorization-routes.*.ts, in the order they run (some rows change what later ones see).
 */
describe('authorization matrix (real root over HTTP)', () => {
  jest.setTimeout(120_000);
  const m = new Matrix();
  const call = (caller: Caller, method: string, path: string, body?: unknown) => m.call(caller, method, path, body);
  const as = (caller: Caller) => (caller === 'none' || caller === 'bad' || caller === 'apitoken' ? 'own' : caller);

  beforeAll(async () => {
    await m.start();
  });

  afterAll(async () => {
    await m.stop();
  });

  const routes: Route[] = [
    ...applicationRoutes(m),
    ...accountRoutes(m),
    ...eventRoutes(m),
    ...aerosRoutes(),
    ...k8sRoutes().map((r) => ({ ...r, aeros: true })),
  ];

  const cells = routes.flatMap((route) => CALLERS.map((caller) => [route.name, caller, route] as const));

  it.each(cells)('%s as %s', async (_name, caller, route) => {
    const { path, body } = await route.prepare(caller);
    const res = await call(caller, route.method, path, body);
    const apiTokenStatus = route.aeros ? route.expect.other : 403;
    const expected =
      caller === 'none' || caller === 'bad'
        ? (route.anonymous ?? 401)
        : caller === 'apitoken'
          ? apiTokenStatus
          : route.expect[as(caller)];
    expect({ status: res.status, body: res.status === expected ? undefined : res.body }).toEqual({
      status: expected,
      body: undefined,
    });
    if (caller === 'apitoken' && !route.aeros) {
      expect(res.body.message).toContain('API tokens are accepted only on the aerOS routes');
    }
    if (res.status >= 400 && path.startsWith('/k8s/')) {
      expect(res.body).toEqual(
        expect.objectContaining({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code: res.status }),
      );
    } else if (res.status >= 400) {
      expect(res.body).toEqual(
        expect.objectContaining({ statusCode: res.status, code: expect.any(String), errors: expect.any(Array) }),
      );
    }
  });

  it("never shows another user's objects in a list", async () => {
    const mine = (await call('other', 'GET', '/api/applications')).body as any[];
    expect(mine.some((a) => a.applicationID === m.appId)).toBe(false);
    const all = (await call('admin', 'GET', '/api/applications')).body as any[];
    expect(all.some((a) => a.applicationID === m.appId)).toBe(true);
    const theirServices = (await call('other', 'GET', '/api/services')).body as any[];
    expect(theirServices.some((s) => s.microserviceID === m.serviceId)).toBe(false);
    const ownServices = (await call('own', 'GET', '/api/services')).body as any[];
    expect(ownServices.some((s) => s.microserviceID === m.serviceId)).toBe(true);
  });

  it('never lets a password hash leave the API', () => {
    expect(m.bodies.length).toBeGreaterThan(100);
    for (const text of m.bodies) {
      expect(text).not.toContain('passwordHash');
      expect(text).not.toContain('$argon2');
      expect(text).not.toContain('secretHash');
      expect(text).not.toContain('credentialSha256');
    }
  });
});
