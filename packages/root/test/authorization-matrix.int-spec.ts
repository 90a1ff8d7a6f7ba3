import { testMicroservice, testSla } from '@canopy/testing';
import { startHttpRoot, type TestRoot } from './support/http-root';

/** `apitoken`: an admin-minted API token for machine clients; good on @AerosApi() routes only, none of these. */
type Caller = 'none' | 'bad' | 'apitoken' | 'other' | 'own' | 'admin';
const CALLERS: Caller[] = ['none', 'bad', 'apitoken', 'other', 'own', 'admin'];

interface Route {
  name: string;
  method: string;
  /** Builds the path (and body) for one call; may create fresh objects so destructive calls don't interfere. */
  prepare: (caller: Caller) => { path: string; body?: unknown } | Promise<{ path: string; body?: unknown }>;
  /** Expected status for the authenticated callers. */
  expect: Record<'other' | 'own' | 'admin', number>;
  /** Expected status without a (valid) token when the route is public; otherwise 401. */
  anonymous?: number;
  /**
   * Marked @AerosApi(): an API token is accepted and acts as the aerOS service account, a non-admin
   * that owns none of this test's objects, so it gets what `other` gets. Elsewhere it is a 403.
   */
  aeros?: boolean;
}

/**
 * Issue 3: the authorization matrix. Every route × {no token, bad token, an API token, another
 * user's token, the owner's token, an admin's}; each cell's status is asserted, against a real root over HTTP.
 */
describe('authorization matrix (real root over HTTP)', () => {
  jest.setTimeout(120_000);
  let t: TestRoot;
  const tokens: Partial<Record<Caller, string>> = { bad: 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.bad' };
  const bodies: string[] = [];
  let counter = 0;
  let appId = '';
  let serviceId = '';
  let ownUserId = '';
  let orgId = '';

  async function call(
    caller: Caller,
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; body: any }> {
    const token = tokens[caller];
    const res = await t.call(method, path, { ...(token ? { token } : {}), ...(body !== undefined ? { body } : {}) });
    if (res.body !== undefined) {
      bodies.push(JSON.stringify(res.body));
    }
    return res;
  }

  const as = (caller: Caller) => (caller === 'none' || caller === 'bad' || caller === 'apitoken' ? 'own' : caller);
  const unique = (prefix: string) => `${prefix}${++counter}`;
  const ms = (name = 'web') => testMicroservice({ microservice_name: name });
  const sla = (name: string, microservices: unknown[] = [ms()], applicationID = '') =>
    testSla(name, microservices, { applicationID });

  async function freshApp(owner: Caller = 'own'): Promise<{ appId: string; serviceId: string }> {
    const res = await call(owner, 'POST', '/api/application', sla(unique('app')));
    return { appId: res.body.applications[0].applicationID, serviceId: res.body.applications[0].microservices[0] };
  }

  beforeAll(async () => {
    t = await startHttpRoot();
    tokens.admin = (await t.login('Admin', t.adminPassword)).token;
    const alice = await t.addUser(tokens.admin, 'alice');
    ownUserId = alice.id;
    tokens.own = alice.token;
    tokens.other = (await t.addUser(tokens.admin, 'bob')).token;
    ({ appId, serviceId } = await freshApp());
    orgId = (await call('admin', 'POST', '/api/organizations', { name: 'acme' })).body.id;
    tokens.apitoken = (await call('admin', 'POST', '/api/tokens', { name: 'matrix hlo' })).body.token;
  });

  afterAll(async () => {
    await t.stop();
  });

  const owned = { other: 404, own: 200, admin: 200 };
  const anyUser = { other: 200, own: 200, admin: 200 };
  const adminOnly = { other: 403, own: 403, admin: 200 };
  const routes: Route[] = [
    { name: 'list applications', method: 'GET', prepare: () => ({ path: '/api/applications' }), expect: anyUser },
    {
      name: 'create application',
      method: 'POST',
      prepare: () => ({ path: '/api/application', body: sla(unique('new')) }),
      expect: { other: 201, own: 201, admin: 201 },
    },
    {
      name: 'get application',
      method: 'GET',
      prepare: () => ({ path: `/api/application/${appId}` }),
      expect: owned,
    },
    {
      name: 'update application',
      method: 'PUT',
      prepare: () => ({ path: `/api/application/${appId}`, body: { application_desc: 'changed' } }),
      expect: owned,
    },
    {
      name: 'delete application',
      method: 'DELETE',
      prepare: async () => ({ path: `/api/application/${(await freshApp()).appId}` }),
      expect: owned,
    },
    {
      name: 'create service',
      method: 'POST',
      prepare: () => ({ path: '/api/service', body: sla('ignored', [ms(unique('svc'))], appId) }),
      expect: { other: 404, own: 201, admin: 201 },
    },
    { name: 'list services', method: 'GET', prepare: () => ({ path: `/api/services/${appId}` }), expect: owned },
    // Every service the caller may see (Oakestra's CLI): never a 404, the list is scoped instead.
    { name: 'list all services', method: 'GET', prepare: () => ({ path: '/api/services' }), expect: anyUser },
    { name: 'get service', method: 'GET', prepare: () => ({ path: `/api/service/${serviceId}` }), expect: owned },
    {
      name: 'update service',
      method: 'PUT',
      prepare: () => ({ path: `/api/service/${serviceId}`, body: { ...ms(), memory: 24 } }),
      expect: owned,
    },
    {
      name: 'delete service',
      method: 'DELETE',
      prepare: async () => ({ path: `/api/service/${(await freshApp()).serviceId}` }),
      expect: owned,
    },
    {
      name: 'deploy instance',
      method: 'POST',
      prepare: () => ({ path: `/api/service/${serviceId}/instance` }),
      expect: owned,
    },
    {
      name: 'undeploy instance',
      method: 'DELETE',
      prepare: async () => {
        const fresh = await freshApp();
        const n = (await call('own', 'POST', `/api/service/${fresh.serviceId}/instance`)).body.instance_number;
        return { path: `/api/service/${fresh.serviceId}/instance/${n}` };
      },
      expect: owned,
    },
    {
      // No cluster runs in this test, so an owner's instance has no container yet: 409, not a leak.
      name: 'instance logs',
      method: 'GET',
      prepare: () => ({ path: `/api/service/${serviceId}/instance/0/logs?tail=10` }),
      expect: { other: 404, own: 409, admin: 409 },
    },
    { name: 'list clusters', method: 'GET', prepare: () => ({ path: '/api/clusters' }), expect: anyUser },
    { name: 'clusters of a user', method: 'GET', prepare: () => ({ path: '/api/clusters/u1' }), expect: anyUser },
    {
      name: 'get cluster',
      method: 'GET',
      prepare: () => ({ path: '/api/cluster/no-such-cluster' }),
      expect: { other: 404, own: 404, admin: 404 },
    },
    {
      name: 'list active clusters',
      method: 'GET',
      prepare: () => ({ path: '/api/clusters/active' }),
      expect: anyUser,
    },
    {
      name: 'register cluster',
      method: 'POST',
      prepare: () => ({ path: '/api/clusters', body: { name: unique('edge') } }),
      expect: { other: 403, own: 403, admin: 201 },
    },
    {
      name: 'rotate cluster credential',
      method: 'POST',
      prepare: async () => ({
        path: `/api/clusters/${(await call('admin', 'POST', '/api/clusters', { name: unique('edge') })).body.id}/credential`,
      }),
      expect: adminOnly,
    },
    {
      name: 'list infrastructure elements',
      method: 'GET',
      prepare: () => ({ path: '/api/infrastructure-elements' }),
      expect: anyUser,
    },
    {
      // No cluster runs here, so no IE exists: every signed-in caller gets the same 404.
      name: 'get infrastructure element',
      method: 'GET',
      prepare: () => ({ path: '/api/infrastructure-elements/urn:ngsi-ld:InfrastructureElement:d:n' }),
      expect: { other: 404, own: 404, admin: 404 },
    },
    { name: 'list users', method: 'GET', prepare: () => ({ path: '/api/users' }), expect: adminOnly },
    {
      name: 'create user',
      method: 'POST',
      prepare: () => ({
        path: '/api/users',
        body: { username: unique('user'), password: 'password-123', role: 'Application_Provider' },
      }),
      expect: { other: 403, own: 403, admin: 201 },
    },
    { name: 'who am I', method: 'GET', prepare: () => ({ path: '/api/users/me' }), expect: anyUser },
    { name: 'get user', method: 'GET', prepare: () => ({ path: `/api/user/${ownUserId}` }), expect: owned },
    {
      name: 'change password',
      method: 'PUT',
      prepare: () => ({ path: `/api/user/${ownUserId}`, body: { password: 'alice-password' } }),
      expect: owned,
    },
    {
      name: 'delete user',
      method: 'DELETE',
      prepare: async () => {
        const u = await call('admin', 'POST', '/api/users', {
          username: unique('gone'),
          password: 'password-123',
          role: 'Application_Provider',
        });
        return { path: `/api/user/${u.body.id}` };
      },
      expect: adminOnly,
    },
    {
      name: "a user's quota",
      method: 'GET',
      prepare: () => ({ path: `/api/user/${ownUserId}/quota` }),
      expect: owned,
    },
    {
      name: "set a user's quota",
      method: 'PUT',
      prepare: () => ({ path: `/api/user/${ownUserId}/quota`, body: { instances: 50 } }),
      expect: adminOnly,
    },
    {
      name: 'list organizations',
      method: 'GET',
      prepare: () => ({ path: '/api/organizations' }),
      expect: adminOnly,
    },
    {
      name: 'create organization',
      method: 'POST',
      prepare: () => ({ path: '/api/organizations', body: { name: unique('org') } }),
      expect: { other: 403, own: 403, admin: 201 },
    },
    {
      name: 'get organization',
      method: 'GET',
      prepare: () => ({ path: `/api/organization/${orgId}` }),
      expect: adminOnly,
    },
    {
      name: 'update organization',
      method: 'PUT',
      prepare: () => ({ path: `/api/organization/${orgId}`, body: { description: 'x' } }),
      expect: adminOnly,
    },
    {
      name: 'delete organization',
      method: 'DELETE',
      prepare: async () => ({
        path: `/api/organization/${(await call('admin', 'POST', '/api/organizations', { name: unique('org') })).body.id}`,
      }),
      expect: adminOnly,
    },
    // Oakestra's clients' routes (issue 11).
    {
      name: 'register user (Oakestra)',
      method: 'POST',
      prepare: () => ({
        path: '/api/auth/register',
        body: { name: unique('reg'), email: '', password: 'password-123', roles: ['Application_Provider'] },
      }),
      expect: { other: 403, own: 403, admin: 201 },
    },
    {
      // Another user's list is empty (as if it owned none), never another's applications.
      name: "list a user's applications (Oakestra)",
      method: 'GET',
      prepare: () => ({ path: `/api/applications/${ownUserId}` }),
      expect: anyUser,
    },
    {
      name: "list an organization's users (Oakestra)",
      method: 'GET',
      prepare: () => ({ path: `/api/users/${orgId}` }),
      expect: adminOnly,
    },
    {
      name: 'change password by name (Oakestra)',
      method: 'POST',
      prepare: () => ({
        path: '/api/user/alice',
        body: { oldPassword: 'alice-password', newPassword: 'alice-password' },
      }),
      // Only the user itself: an admin resets with PUT instead.
      expect: { other: 404, own: 200, admin: 403 },
    },
    {
      name: 'permission (Oakestra)',
      method: 'GET',
      prepare: () => ({ path: `/api/permission/alice` }),
      expect: owned,
    },
    {
      name: 'list organizations (Oakestra)',
      method: 'GET',
      prepare: () => ({ path: '/api/organization/' }),
      expect: adminOnly,
    },
    {
      name: 'create organization (Oakestra)',
      method: 'POST',
      prepare: () => ({ path: '/api/organization/', body: { name: unique('org'), member: [] } }),
      expect: { other: 403, own: 403, admin: 201 },
    },
    {
      name: 'undeploy instance, no slash (Oakestra dashboard)',
      method: 'DELETE',
      prepare: async () => {
        const fresh = await freshApp();
        const n = (await call('own', 'POST', `/api/service/${fresh.serviceId}/instance`)).body.instance_number;
        return { path: `/api/service/${fresh.serviceId}/instance${n}` };
      },
      expect: owned,
    },
    { name: 'list API tokens', method: 'GET', prepare: () => ({ path: '/api/tokens' }), expect: adminOnly },
    {
      name: 'mint API token',
      method: 'POST',
      prepare: () => ({ path: '/api/tokens', body: { name: unique('hlo'), expires_in_days: 30 } }),
      expect: { other: 403, own: 403, admin: 201 },
    },
    {
      name: 'revoke API token',
      method: 'DELETE',
      prepare: async () => ({
        path: `/api/tokens/${(await call('admin', 'POST', '/api/tokens', { name: unique('hlo') })).body.id}`,
      }),
      expect: adminOnly,
    },
  ];

  routes.push(
    { name: 'event stream', method: 'GET', prepare: () => ({ path: '/api/events' }), expect: anyUser },
    {
      name: "one service's event stream",
      method: 'GET',
      prepare: () => ({ path: `/api/events?service=${serviceId}` }),
      expect: owned,
    },
  );

  // The aerOS LLO API: every authenticated caller may list and read (its own CRs only); creating
  // needs a YAML body and a live IE, covered in aeros-llo.int-spec.ts and the e2e layer.
  routes.push(
    {
      name: 'LLO version',
      aeros: true,
      method: 'GET',
      prepare: () => ({ path: '/version' }),
      expect: { other: 200, own: 200, admin: 200 },
    },
    {
      name: 'LLO list',
      aeros: true,
      method: 'GET',
      prepare: () => ({ path: '/v1/service-components?type=docker' }),
      expect: { other: 200, own: 200, admin: 200 },
    },
    {
      name: 'LLO get unknown',
      aeros: true,
      method: 'GET',
      prepare: () => ({ path: '/v1/service-components/nope?type=docker' }),
      expect: { other: 404, own: 404, admin: 404 },
    },
    {
      name: 'LLO create from JSON',
      aeros: true,
      method: 'POST',
      prepare: () => ({ path: '/v1/service-components', body: { kind: 'ServiceComponentDocker' } }),
      expect: { other: 400, own: 400, admin: 400 },
    },
    // aerOS's HLO allocation API: a component nobody made is 404 for every caller that gets in.
    {
      name: 'HLO get unknown component',
      aeros: true,
      method: 'GET',
      prepare: () => ({ path: '/hlo_al/services/nosvc/service_components/nocomp/' }),
      expect: { other: 404, own: 404, admin: 404 },
    },
    {
      name: 'HLO delete unknown component',
      aeros: true,
      method: 'DELETE',
      prepare: () => ({ path: '/hlo_al/services/nosvc/service_components/nocomp/' }),
      expect: { other: 404, own: 404, admin: 404 },
    },
  );

  // The Kubernetes surface under /k8s: the same rules (a token for all but /k8s/version, one's own
  // CRs only), and every error a Kubernetes `Status`. Creating needs a live IE: the e2e layer.
  const K8S = '/k8s/apis/llo.aeros-project.eu/v1alpha1';
  const k8sRoutes: Route[] = [
    {
      name: 'k8s version',
      method: 'GET',
      prepare: () => ({ path: '/k8s/version' }),
      expect: anyUser,
      anonymous: 200,
    },
    { name: 'k8s api', method: 'GET', prepare: () => ({ path: '/k8s/api' }), expect: anyUser },
    { name: 'k8s api/v1', method: 'GET', prepare: () => ({ path: '/k8s/api/v1' }), expect: anyUser },
    { name: 'k8s apis', method: 'GET', prepare: () => ({ path: '/k8s/apis' }), expect: anyUser },
    {
      name: 'k8s group',
      method: 'GET',
      prepare: () => ({ path: '/k8s/apis/llo.aeros-project.eu' }),
      expect: anyUser,
    },
    { name: 'k8s resources', method: 'GET', prepare: () => ({ path: K8S }), expect: anyUser },
    { name: 'k8s openapi v2', method: 'GET', prepare: () => ({ path: '/k8s/openapi/v2' }), expect: anyUser },
    { name: 'k8s openapi v3', method: 'GET', prepare: () => ({ path: '/k8s/openapi/v3' }), expect: anyUser },
    {
      name: 'k8s openapi v3 group',
      method: 'GET',
      prepare: () => ({ path: '/k8s/openapi/v3/apis/llo.aeros-project.eu/v1alpha1' }),
      expect: anyUser,
    },
    {
      name: 'k8s namespaces',
      method: 'GET',
      prepare: () => ({ path: '/k8s/api/v1/namespaces' }),
      expect: anyUser,
    },
    {
      name: 'k8s namespace',
      method: 'GET',
      prepare: () => ({ path: '/k8s/api/v1/namespaces/default' }),
      expect: anyUser,
    },
    {
      name: 'k8s events',
      method: 'GET',
      prepare: () => ({ path: '/k8s/api/v1/namespaces/default/events' }),
      expect: anyUser,
    },
    {
      name: 'k8s list all namespaces',
      method: 'GET',
      prepare: () => ({ path: `${K8S}/servicecomponentdockers` }),
      expect: anyUser,
    },
    {
      name: 'k8s list',
      method: 'GET',
      prepare: () => ({ path: `${K8S}/namespaces/default/servicecomponentk8s` }),
      expect: anyUser,
    },
    {
      name: 'k8s get unknown',
      method: 'GET',
      prepare: () => ({ path: `${K8S}/namespaces/default/servicecomponentdockers/nope` }),
      expect: { other: 404, own: 404, admin: 404 },
    },
    {
      name: 'k8s create invalid',
      method: 'POST',
      prepare: () => ({
        path: `${K8S}/namespaces/default/servicecomponentdockers`,
        body: { apiVersion: 'llo.aeros-project.eu/v1alpha1', kind: 'ServiceComponentDocker', metadata: { name: 'x' } },
      }),
      expect: { other: 422, own: 422, admin: 422 },
    },
    {
      name: 'k8s replace unknown',
      method: 'PUT',
      prepare: () => ({
        path: `${K8S}/namespaces/default/servicecomponentdockers/nope`,
        body: {
          apiVersion: 'llo.aeros-project.eu/v1alpha1',
          kind: 'ServiceComponentDocker',
          metadata: { name: 'nope' },
        },
      }),
      expect: { other: 404, own: 404, admin: 404 },
    },
    {
      name: 'k8s patch unknown',
      method: 'PATCH',
      prepare: () => ({ path: `${K8S}/namespaces/default/servicecomponentdockers/nope`, body: {} }),
      // application/json is no patch type: 415 before any lookup.
      expect: { other: 415, own: 415, admin: 415 },
    },
    {
      name: 'k8s delete unknown',
      method: 'DELETE',
      prepare: () => ({ path: `${K8S}/namespaces/default/servicecomponentdockers/nope` }),
      expect: { other: 404, own: 404, admin: 404 },
    },
    {
      name: 'k8s unknown path',
      method: 'GET',
      prepare: () => ({ path: '/k8s/apis/apps/v1' }),
      expect: { other: 404, own: 404, admin: 404 },
    },
  ];
  routes.push(...k8sRoutes.map((r) => ({ ...r, aeros: true })));

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
    expect(mine.some((a) => a.applicationID === appId)).toBe(false);
    const all = (await call('admin', 'GET', '/api/applications')).body as any[];
    expect(all.some((a) => a.applicationID === appId)).toBe(true);
    const theirServices = (await call('other', 'GET', '/api/services')).body as any[];
    expect(theirServices.some((s) => s.microserviceID === serviceId)).toBe(false);
    const ownServices = (await call('own', 'GET', '/api/services')).body as any[];
    expect(ownServices.some((s) => s.microserviceID === serviceId)).toBe(true);
  });

  it('never lets a password hash leave the API', () => {
    expect(bodies.length).toBeGreaterThan(100);
    for (const text of bodies) {
      expect(text).not.toContain('passwordHash');
      expect(text).not.toContain('$argon2');
      expect(text).not.toContain('secretHash');
      expect(text).not.toContain('credentialSha256');
    }
  });
});
