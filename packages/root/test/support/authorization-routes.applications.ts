/* eslint-disable @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-member-access --
   the matrix reads untyped JSON responses the way a client script would, as its spec does. */
import { adminOnly, anyUser, ms, owned, sla, type Matrix, type Route } from './authorization-matrix';

/** The matrix rows for applications, services, instances, clusters and infrastructure elements. */
export function applicationRoutes(m: Matrix): Route[] {
  return [
    { name: 'list applications', method: 'GET', prepare: () => ({ path: '/api/applications' }), expect: anyUser },
    {
      name: 'create application',
      method: 'POST',
      prepare: () => ({ path: '/api/application', body: sla(m.unique('new')) }),
      expect: { other: 201, own: 201, admin: 201 },
    },
    {
      name: 'get application',
      method: 'GET',
      prepare: () => ({ path: `/api/application/${m.appId}` }),
      expect: owned,
    },
    {
      name: 'update application',
      method: 'PUT',
      prepare: () => ({ path: `/api/application/${m.appId}`, body: { application_desc: 'changed' } }),
      expect: owned,
    },
    {
      name: 'delete application',
      method: 'DELETE',
      prepare: async () => ({ path: `/api/application/${(await m.freshApp()).appId}` }),
      expect: owned,
    },
    {
      name: 'create service',
      method: 'POST',
      prepare: () => ({ path: '/api/service', body: sla('ignored', [ms(m.unique('svc'))], m.appId) }),
      expect: { other: 404, own: 201, admin: 201 },
    },
    { name: 'list services', method: 'GET', prepare: () => ({ path: `/api/services/${m.appId}` }), expect: owned },
    // Every service the caller may see (Oakestra's CLI): never a 404, the list is scoped instead.
    { name: 'list all services', method: 'GET', prepare: () => ({ path: '/api/services' }), expect: anyUser },
    { name: 'get service', method: 'GET', prepare: () => ({ path: `/api/service/${m.serviceId}` }), expect: owned },
    {
      name: 'update service',
      method: 'PUT',
      prepare: () => ({ path: `/api/service/${m.serviceId}`, body: { ...ms(), memory: 24 } }),
      expect: owned,
    },
    {
      name: 'delete service',
      method: 'DELETE',
      prepare: async () => ({ path: `/api/service/${(await m.freshApp()).serviceId}` }),
      expect: owned,
    },
    {
      name: 'deploy instance',
      method: 'POST',
      prepare: () => ({ path: `/api/service/${m.serviceId}/instance` }),
      expect: owned,
    },
    {
      name: 'undeploy instance',
      method: 'DELETE',
      prepare: async () => {
        const fresh = await m.freshApp();
        const n = (await m.call('own', 'POST', `/api/service/${fresh.serviceId}/instance`)).body.instance_number;
        return { path: `/api/service/${fresh.serviceId}/instance/${n}` };
      },
      expect: owned,
    },
    {
      // No cluster runs in this test, so an owner's instance has no container yet: 409, not a leak.
      name: 'instance logs',
      method: 'GET',
      prepare: () => ({ path: `/api/service/${m.serviceId}/instance/0/logs?tail=10` }),
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
      prepare: () => ({ path: '/api/clusters', body: { name: m.unique('edge') } }),
      expect: { other: 403, own: 403, admin: 201 },
    },
    {
      name: 'rotate cluster credential',
      method: 'POST',
      prepare: async () => ({
        path: `/api/clusters/${(await m.call('admin', 'POST', '/api/clusters', { name: m.unique('edge') })).body.id}/credential`,
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
  ];
}

/** The event streams (Server-Sent Events): every user's, and one service's for its owner only. */
export function eventRoutes(m: Matrix): Route[] {
  return [
    { name: 'event stream', method: 'GET', prepare: () => ({ path: '/api/events' }), expect: anyUser },
    {
      name: "one service's event stream",
      method: 'GET',
      prepare: () => ({ path: `/api/events?service=${m.serviceId}` }),
      expect: owned,
    },
  ];
}
