/* eslint-disable @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-member-access --
   the matrix reads untyped JSON responses the way a client script would, as its spec does. */
import { adminOnly, anyUser, owned, type Matrix, type Route } from './authorization-matrix';

/** The matrix rows for users, quotas, organizations, Oakestra's client routes and API tokens, in the order they run. */
export function accountRoutes(m: Matrix): Route[] {
  return [
    { name: 'list users', method: 'GET', prepare: () => ({ path: '/api/users' }), expect: adminOnly },
    {
      name: 'create user',
      method: 'POST',
      prepare: () => ({
        path: '/api/users',
        body: { username: m.unique('user'), password: 'password-123', role: 'Application_Provider' },
      }),
      expect: { other: 403, own: 403, admin: 201 },
    },
    { name: 'who am I', method: 'GET', prepare: () => ({ path: '/api/users/me' }), expect: anyUser },
    { name: 'get user', method: 'GET', prepare: () => ({ path: `/api/user/${m.ownUserId}` }), expect: owned },
    {
      name: 'change password',
      method: 'PUT',
      prepare: () => ({ path: `/api/user/${m.ownUserId}`, body: { password: 'alice-password' } }),
      expect: owned,
    },
    {
      name: 'delete user',
      method: 'DELETE',
      prepare: async () => {
        const u = await m.call('admin', 'POST', '/api/users', {
          username: m.unique('gone'),
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
      prepare: () => ({ path: `/api/user/${m.ownUserId}/quota` }),
      expect: owned,
    },
    {
      name: "set a user's quota",
      method: 'PUT',
      prepare: () => ({ path: `/api/user/${m.ownUserId}/quota`, body: { instances: 50 } }),
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
      prepare: () => ({ path: '/api/organizations', body: { name: m.unique('org') } }),
      expect: { other: 403, own: 403, admin: 201 },
    },
    {
      name: 'get organization',
      method: 'GET',
      prepare: () => ({ path: `/api/organization/${m.orgId}` }),
      expect: adminOnly,
    },
    {
      name: 'update organization',
      method: 'PUT',
      prepare: () => ({ path: `/api/organization/${m.orgId}`, body: { description: 'x' } }),
      expect: adminOnly,
    },
    {
      name: 'delete organization',
      method: 'DELETE',
      prepare: async () => ({
        path: `/api/organization/${(await m.call('admin', 'POST', '/api/organizations', { name: m.unique('org') })).body.id}`,
      }),
      expect: adminOnly,
    },
    // Oakestra's clients' routes (issue 11).
    {
      name: 'register user (Oakestra)',
      method: 'POST',
      prepare: () => ({
        path: '/api/auth/register',
        body: { name: m.unique('reg'), email: '', password: 'password-123', roles: ['Application_Provider'] },
      }),
      expect: { other: 403, own: 403, admin: 201 },
    },
    {
      // Another user's list is empty (as if it owned none), never another's applications.
      name: "list a user's applications (Oakestra)",
      method: 'GET',
      prepare: () => ({ path: `/api/applications/${m.ownUserId}` }),
      expect: anyUser,
    },
    {
      name: "list an organization's users (Oakestra)",
      method: 'GET',
      prepare: () => ({ path: `/api/users/${m.orgId}` }),
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
      prepare: () => ({ path: '/api/organization/', body: { name: m.unique('org'), member: [] } }),
      expect: { other: 403, own: 403, admin: 201 },
    },
    {
      name: 'undeploy instance, no slash (Oakestra dashboard)',
      method: 'DELETE',
      prepare: async () => {
        const fresh = await m.freshApp();
        const n = (await m.call('own', 'POST', `/api/service/${fresh.serviceId}/instance`)).body.instance_number;
        return { path: `/api/service/${fresh.serviceId}/instance${n}` };
      },
      expect: owned,
    },
    { name: 'list API tokens', method: 'GET', prepare: () => ({ path: '/api/tokens' }), expect: adminOnly },
    {
      name: 'mint API token',
      method: 'POST',
      prepare: () => ({ path: '/api/tokens', body: { name: m.unique('hlo'), expires_in_days: 30 } }),
      expect: { other: 403, own: 403, admin: 201 },
    },
    {
      name: 'revoke API token',
      method: 'DELETE',
      prepare: async () => ({
        path: `/api/tokens/${(await m.call('admin', 'POST', '/api/tokens', { name: m.unique('hlo') })).body.id}`,
      }),
      expect: adminOnly,
    },
  ];
}
