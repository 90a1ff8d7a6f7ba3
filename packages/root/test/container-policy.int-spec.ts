import { testSla } from '@canopy/testing';
import { startHttpRoot, type TestRoot } from './support/http-root';

/**
 * Issue 10, containers, the root's early answer (real root over HTTP): host ports below the range,
 * registries on internal addresses and binds of the trees no node mounts are a 400 naming the SLA
 * field before any cluster sees them; a descriptor's `memory: 0` counts against the quota as what a
 * node gives it. The nodes enforce all of it themselves (node-engine container-escapes spec).
 */
describe('container policy at the root (real root over HTTP)', () => {
  jest.setTimeout(60_000);
  let t: TestRoot;
  let admin = '';
  let user = '';
  let counter = 0;

  const ms = (extra: Record<string, unknown> = {}) => ({
    microservice_name: 'web',
    microservice_namespace: 'ns',
    virtualization: 'container',
    code: 'canopy-test/busybox:latest',
    memory: 16,
    vcpus: 1,
    ...extra,
  });
  const create = (token: string, microservice: Record<string, unknown>) =>
    t.call('POST', '/api/application', {
      token,
      body: testSla(`app${++counter}`, [microservice]),
    });
  const at = (field: string) => `applications[0].microservices[0].${field}`;

  beforeAll(async () => {
    t = await startHttpRoot({ CANOPY_HOST_PORT_RANGE: '2000-60000', CANOPY_QUOTA_MEMORY_MB: '1024' });
    admin = (await t.login('Admin', t.adminPassword)).token;
    user = (await t.addUser(admin, 'tenant')).token;
  });

  afterAll(async () => {
    await t.stop();
  });

  it.each<[string, Record<string, unknown>, string, RegExp]>([
    ['a host port below the range', { port: '80:80' }, 'port', /host port 80 is outside.*CANOPY_HOST_PORT_RANGE/],
    ['a host port above the range', { port: '8080;60001:80' }, 'port', /host port 60001 is outside/],
    ['a loopback registry', { code: '127.0.0.1:5000/x:1' }, 'code', /loopback.*CANOPY_ALLOW_PRIVATE_REGISTRIES/],
    ['loopback in IPv6', { code: '[::1]:5000/x' }, 'code', /CANOPY_ALLOW_PRIVATE_REGISTRIES/],
    ['metadata address', { code: '169.254.169.254/latest/x' }, 'code', /CANOPY_ALLOW_PRIVATE_REGISTRIES/],
    ['localhost', { code: 'localhost:5000/x' }, 'code', /CANOPY_ALLOW_PRIVATE_REGISTRIES/],
    ['a private network', { code: '10.1.2.3/x' }, 'code', /CANOPY_ALLOW_PRIVATE_REGISTRIES/],
    ['17 port entries', { port: Array.from({ length: 17 }, (_, i) => 3000 + i).join(';') }, 'port', /17 entries/],
    ['a /proc bind', { binds: ['/proc/self/root/run/docker.sock:/s'] }, 'binds', /no node mounts/],
    ["Docker's data root", { binds: ['//var/lib/docker/volumes:/v'] }, 'binds', /no node mounts/],
  ])('answers %s with a 400 naming the field', async (_what, change, field, message) => {
    const res = await create(user, ms(change));
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual(
      expect.arrayContaining([{ path: at(field), message: expect.stringMatching(message) }]),
    );
  });

  it('takes a host port inside the range, and refuses moving it out on update', async () => {
    const res = await create(user, ms({ port: '2000:80' }));
    expect(res.status).toBe(201);
    const id = res.body.applications[0].microservices[0] as string;
    const update = await t.call('PUT', `/api/service/${id}`, { token: user, body: ms({ port: '443:80' }) });
    expect(update.status).toBe(400);
    expect(update.body.errors).toEqual([{ path: 'port', message: expect.stringMatching(/host port 443 is outside/) }]);
  });

  it('counts memory 0 as the 512 MB a node gives it, not as nothing', async () => {
    // 1024 MB quota, one undeclared instance fits, two more do not (the unscheduled service above counts nothing).
    const first = await create(user, ms({ memory: 0, vcpus: 0, replicas: 1 }));
    expect(first.status).toBe(201);
    const second = await create(user, ms({ memory: 0, vcpus: 0, replicas: 2 }));
    expect(second.status).toBe(409);
    expect(second.body).toMatchObject({
      code: 'QUOTA_EXCEEDED',
      errors: [{ path: 'quota.memory_mb', message: expect.stringContaining('quota memory_mb exceeded') }],
    });
  });
});
