import { jwtPayload, startHttpRoot, type TestRoot } from './support/http-root';

/**
 * Issue 11: Oakestra's own clients against a real root over HTTP. Each test sends a request the way
 * Oakestra's dashboard (oakestra/dashboard, api.service.ts, user.service.ts) or CLI sends it, and
 * asserts the response fields that client reads.
 */
describe("Oakestra's dashboard and CLI calls (real root over HTTP)", () => {
  jest.setTimeout(120_000);
  let t: TestRoot;
  let admin: { token: string; refresh_token: string };
  let adminSub = '';

  beforeAll(async () => {
    t = await startHttpRoot();
    admin = await t.login('Admin', t.adminPassword);
    adminSub = String(jwtPayload(admin.token).sub);
  });
  afterAll(async () => {
    await t.stop();
  });

  const slaAsDashboardSends = (name: string) => ({
    // No applicationID (empty strings stripped), no customerID (the user's $oid not known yet).
    sla_version: 'v2.0',
    applications: [{ application_name: name, application_namespace: 'test', application_desc: 'd', microservices: [] }],
  });
  const serviceAsDashboardSends = (applicationID: string, name: string) => ({
    sla_version: 'v2.0',
    customerID: adminSub,
    applications: [
      {
        applicationID,
        application_name: 'ignored',
        application_namespace: 'test',
        microservices: [
          {
            microserviceID: '1234',
            microservice_name: name,
            microservice_namespace: 'test',
            virtualization: 'container',
            code: 'docker.io/library/nginx:alpine',
            memory: 100,
            vcpus: 1,
            port: '8080:80',
          },
        ],
      },
    ],
  });

  it('login: token and refresh_token; the JWT carries sub, roles[] and exp as jwt-decode reads them', () => {
    const claims = jwtPayload(admin.token);
    expect(typeof claims.sub).toBe('string');
    expect(claims.roles).toEqual(['Admin']);
    expect(typeof claims.exp).toBe('number');
    expect(claims.iss).toBe('canopy-root');
    expect(typeof admin.refresh_token).toBe('string');
  });

  it('GET /api/user/<sub> and /api/user/<name>: the user as Oakestra shapes it', async () => {
    for (const key of [adminSub, 'Admin']) {
      const res = await t.call('GET', `/api/user/${key}`, { token: admin.token });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ _id: { $oid: adminSub }, name: 'Admin', email: '', roles: ['Admin'] });
      expect(typeof res.body.created_at).toBe('string');
      expect(res.body.passwordHash).toBeUndefined();
    }
  });

  it('GET /api/permission/<name>: {roles}', async () => {
    const res = await t.call('GET', `/api/permission/${adminSub}`, { token: admin.token });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ roles: ['Admin'] });
  });

  it('users: register, list, update by name, change password by name, delete by name', async () => {
    const reg = await t.call('POST', '/api/auth/register', {
      token: admin.token,
      body: {
        name: 'carol',
        email: 'carol@example.org',
        password: 'carol-password',
        roles: [{ name: 'Application_Provider', description: 'This is the app role' }],
      },
    });
    expect(reg.status).toBe(201);
    expect(reg.body).toMatchObject({ name: 'carol', email: 'carol@example.org', roles: ['Application_Provider'] });
    const list = await t.call('GET', '/api/users/', { token: admin.token });
    expect(list.body.map((u: { name: string }) => u.name)).toEqual(expect.arrayContaining(['Admin', 'carol']));
    const entity = list.body.find((u: { name: string }) => u.name === 'carol');
    const put = await t.call('PUT', '/api/user/carol', {
      token: admin.token,
      body: { ...entity, email: 'c@example.org' },
    });
    expect(put.status).toBe(200);
    expect(put.body.email).toBe('c@example.org');
    const carol = await t.login('carol', 'carol-password');
    const pw = await t.call('POST', '/api/user/carol', {
      token: carol.token,
      body: { oldPassword: 'carol-password', newPassword: 'carol-password-2' },
    });
    expect(pw.status).toBe(200);
    await t.login('carol', 'carol-password-2');
    const del = await t.call('DELETE', '/api/user/carol', { token: admin.token });
    expect(del.status).toBe(200);
    expect((await t.call('GET', '/api/user/carol', { token: admin.token })).status).toBe(404);
  });

  it('applications and services: the flow the dashboard drives, by _id.$oid', async () => {
    const created = await t.call('POST', '/api/application/', {
      token: admin.token,
      body: slaAsDashboardSends('dash'),
    });
    expect(created.status).toBe(201);
    const app = created.body.applications[0];
    expect(app._id).toEqual({ $oid: app.applicationID });
    expect(app.customerID).toBe(adminSub);

    const mine = await t.call('GET', `/api/applications/${adminSub}`, { token: admin.token });
    expect(mine.status).toBe(200);
    expect(mine.body.map((a: { _id: { $oid: string } }) => a._id.$oid)).toContain(app._id.$oid);
    expect(
      (await t.call('GET', `/api/application/${app._id.$oid}`, { token: admin.token })).body.application_name,
    ).toBe('dash');
    const updated = await t.call('PUT', `/api/application/${app.applicationID}`, {
      token: admin.token,
      body: { ...app, application_desc: 'new text' },
    });
    expect(updated.status).toBe(200);
    expect(updated.body.application_desc).toBe('new text');

    const svc = await t.call('POST', '/api/service/', {
      token: admin.token,
      body: serviceAsDashboardSends(app._id.$oid, 'web'),
    });
    expect(svc.status).toBe(201);
    const services = await t.call('GET', `/api/services/${app._id.$oid}`, { token: admin.token });
    expect(services.body).toHaveLength(1);
    const service = services.body[0];
    expect(service._id).toEqual({ $oid: service.microserviceID });
    expect(service.microserviceID).not.toBe('1234');
    expect(service).toMatchObject({ microservice_name: 'web', code: 'docker.io/library/nginx:alpine' });
    // What Oakestra's CLI shows of a service.
    expect(service).toMatchObject({
      app_name: 'dash',
      app_ns: 'test',
      service_name: 'web',
      service_ns: 'test',
      image: 'docker.io/library/nginx:alpine',
      status: 'UNDEPLOYED',
      applicationID: app.applicationID,
    });

    // Oakestra's CLI (`oak s s` without an application) lists every service at /api/services/.
    const everything = await t.call('GET', '/api/services/', { token: admin.token });
    expect(everything.status).toBe(200);
    expect(
      everything.body.find((x: { microserviceID: string }) => x.microserviceID === service.microserviceID),
    ).toMatchObject({
      microservice_name: 'web',
      app_name: 'dash',
      image: 'docker.io/library/nginx:alpine',
      instance_list: [],
    });

    // Updating sends back the service as read, its microserviceID included.
    const edited = await t.call('PUT', `/api/service/${service._id.$oid}`, {
      token: admin.token,
      body: { ...service, memory: 120 },
    });
    expect(edited.status).toBe(200);
    expect(edited.body.memory).toBe(120);

    const deployed = await t.call('POST', `/api/service/${service._id.$oid}/instance`, {
      token: admin.token,
      body: edited.body,
    });
    expect(deployed.status).toBe(200);
    const got = await t.call('GET', `/api/service/${service._id.$oid}`, { token: admin.token });
    const instance = got.body.instance_list.find(
      (i: { instance_number: number }) => i.instance_number === deployed.body.instance_number,
    );
    expect(instance).toMatchObject({
      instance_number: deployed.body.instance_number,
      cpu_history: [],
      memory_history: [],
    });
    expect(typeof instance.status).toBe('string');
    expect(instance).toHaveProperty('cpu');
    expect(instance).toHaveProperty('public_ip');
    expect(instance).toHaveProperty('cluster_location');
    expect(instance).toHaveProperty('memory');

    // The dashboard joins "/instance" and the number without a slash.
    const gone = await t.call('DELETE', `/api/service/${service._id.$oid}/instance${instance.instance_number}`, {
      token: admin.token,
    });
    expect(gone.status).toBe(200);
    expect((await t.call('DELETE', `/api/application/${app._id.$oid}`, { token: admin.token })).status).toBe(200);
  });

  it('refresh: an empty body and Authorization: Bearer <refresh token>', async () => {
    const pair = await t.login('Admin', t.adminPassword);
    const res = await t.call('POST', '/api/auth/refresh', { token: pair.refresh_token, body: {} });
    expect(res.status).toBe(200);
    expect(typeof res.body.token).toBe('string');
    expect((await t.call('GET', '/api/users/me', { token: res.body.token })).status).toBe(200);
  });

  it('organizations at /api/organization/ with member[], by _id.$oid', async () => {
    const bob = await t.call('POST', '/api/users', {
      token: admin.token,
      body: { username: 'bob', password: 'bob-password', role: 'Application_Provider' },
    });
    const created = await t.call('POST', '/api/organization/', {
      token: admin.token,
      body: { name: 'acme', member: [{ user_id: bob.body.id, roles: ['Application_Provider'] }] },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      _id: { $oid: created.body.id },
      name: 'acme',
      member: [{ user_id: bob.body.id, roles: ['Application_Provider'] }],
    });
    const listed = await t.call('GET', '/api/organization/', { token: admin.token });
    expect(listed.body.map((o: { name: string }) => o.name)).toContain('acme');
    const members = await t.call('GET', `/api/users/${created.body._id.$oid}`, { token: admin.token });
    expect(members.body.map((u: { name: string }) => u.name)).toEqual(['bob']);
    const put = await t.call('PUT', `/api/organization/${created.body._id.$oid}`, {
      token: admin.token,
      body: { name: 'acme', member: [] },
    });
    expect(put.status).toBe(200);
    expect(put.body.member).toEqual([]);
    expect((await t.call('DELETE', `/api/organization/${created.body._id.$oid}`, { token: admin.token })).status).toBe(
      200,
    );
  });

  it('CORS: a preflight from another origin is answered; no credentials are ever allowed', async () => {
    const res = await fetch(`${t.root.url}/api/auth/login`, {
      method: 'OPTIONS',
      headers: {
        origin: 'http://dashboard.example:8080',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization,content-type',
      },
    });
    expect(res.status).toBeLessThan(300);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('authorization');
    expect(res.headers.get('access-control-allow-credentials')).toBeNull();
  });
});
