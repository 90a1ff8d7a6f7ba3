import type { RootHandle } from '../src/root.bootstrap';
import { FakeCluster, oneNodeResources } from './support/fake-cluster';
import { startHttpRoot, type TestRoot } from './support/http-root';
import { waitFor } from '@canopy/testing';

const CLUSTER_TOKEN = 'loss-test-cluster-token-0123456';

const resources = oneNodeResources(4000, 8192);

/**
 * Cluster loss at the root (issue 9), with fake clusters on real Socket.IO and short timers
 * (CLUSTER_SUSPECT_MS 1 s, CLUSTER_LOST_MS 3 s): what a user sees, where work moves, what a
 * returning cluster is told, and the root's refusal of specs the clusters would refuse.
 */
describe('cluster loss at the root (real Socket.IO, fake clusters)', () => {
  jest.setTimeout(60_000);
  let testRoot: TestRoot;
  let root: RootHandle;
  let token = '';
  const fakes: FakeCluster[] = [];

  const dial = async (name: string): Promise<FakeCluster> => {
    const fake = new FakeCluster(root.url, CLUSTER_TOKEN, name, resources);
    fakes.push(fake);
    await fake.connected();
    await fake.sync();
    return fake;
  };

  async function api(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
    const res = await fetch(`${root.url}${path}`, {
      method,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: body === undefined ? null : JSON.stringify(body),
    });
    return { status: res.status, body: await res.json() };
  }

  const ms = (name: string, extra: Record<string, unknown> = {}) => ({
    microservice_name: name,
    microservice_namespace: 'ns',
    virtualization: 'container',
    code: 'img',
    ...extra,
  });

  async function createService(app: string, microservice: Record<string, unknown>): Promise<string> {
    const created = await api('POST', '/api/application', {
      sla_version: 'v2.0',
      customerID: 'c',
      applications: [
        { applicationID: '', application_name: app, application_namespace: 'ns', microservices: [microservice] },
      ],
    });
    expect(created.status).toBe(201);
    return created.body.applications[0].microservices[0] as string;
  }

  async function instance(serviceId: string, n: number): Promise<any> {
    const svc = await api('GET', `/api/service/${serviceId}`);
    return svc.body.instance_list.find((i: any) => i.instance_number === n);
  }

  async function clusterId(name: string): Promise<string> {
    const list = await api('GET', '/api/clusters');
    return list.body.find((c: any) => c.cluster_name === name).id as string;
  }

  const running = (spec: any, extra: Record<string, unknown> = {}) => ({
    serviceId: spec.serviceId,
    instanceNumber: spec.instanceNumber,
    generation: spec.generation,
    status: 'RUNNING',
    nodeId: 'n1',
    containerId: 'c1',
    ...extra,
  });

  beforeAll(async () => {
    testRoot = await startHttpRoot({
      CANOPY_CLUSTER_TOKEN: CLUSTER_TOKEN,
      CANOPY_ALLOW_SHARED_CLUSTER_TOKEN: 'true',
      RECONCILE_INTERVAL_MS: '300',
      CLUSTER_SUSPECT_MS: '1000',
      CLUSTER_LOST_MS: '3000',
    });
    root = testRoot.root;
    token = (await testRoot.login('Admin', testRoot.adminPassword)).token;
  });

  afterAll(async () => {
    for (const f of fakes) {
      f.silence();
    }
    await testRoot.stop();
  });

  it('spreads replicas, shows a silent cluster DEAD, moves its instance with a new epoch, and a returning cluster drops it', async () => {
    const a = await dial('site-a');
    const b = await dial('site-b');
    const serviceId = await createService('spread', ms('web', { replicas: 2 }));
    // One replica on each cluster: the spread preference.
    const [onA, onB] = await waitFor('a deploy on each cluster', () => {
      const x = a.deploys.find((d) => d.serviceId === serviceId);
      const y = b.deploys.find((d) => d.serviceId === serviceId);
      return x && y ? [x, y] : undefined;
    });
    expect(onA.epoch).toBe(1);
    expect(onB.epoch).toBe(1);
    await a.report(running(onA));
    await b.report(running(onB));
    await waitFor('both RUNNING', async () =>
      (await instance(serviceId, onB.instanceNumber))?.status === 'RUNNING' ? true : undefined,
    );

    b.silence();
    const dead = await waitFor('DEAD on the silent cluster', async () => {
      const i = await instance(serviceId, onB.instanceNumber);
      return i?.status === 'DEAD' ? i : undefined;
    });
    expect(dead.status_detail).toMatch(/^cluster site-b stopped reporting \d+ s ago/);
    expect(dead.cluster_id).toBe(await clusterId('site-b'));
    expect((await api('GET', '/api/clusters')).body.find((c: any) => c.cluster_name === 'site-b').state).not.toBe(
      'live',
    );

    // After CLUSTER_LOST_MS it is placed on the other cluster: same instance number, epoch 2.
    const moved = await waitFor('the instance sent to site-a', () =>
      a.deploys.find((d) => d.serviceId === serviceId && d.instanceNumber === onB.instanceNumber),
    );
    expect(moved.epoch).toBe(2);
    const replaced = await instance(serviceId, onB.instanceNumber);
    expect(replaced.cluster_id).toBe(await clusterId('site-a'));
    expect(replaced.status_detail).toBe('placed again: cluster site-b was lost');
    expect(replaced.epoch).toBe(2);

    // A report about the old placement (epoch 1) changes nothing; the new one counts.
    await a.report(running(moved, { epoch: 1, status: 'FAILED' }));
    expect((await instance(serviceId, onB.instanceNumber)).status).toBe('CLUSTER_SCHEDULED');
    await a.report(running(moved, { epoch: 2 }));
    expect((await instance(serviceId, onB.instanceNumber)).status).toBe('RUNNING');

    // site-b returns still running its old container: its desired set no longer lists it.
    const back = await dial('site-b');
    const reply = await back.sync([running(onB, { epoch: 1 })]);
    expect(reply.desired.filter((d: any) => d.serviceId === serviceId)).toEqual([]);
    const after = await instance(serviceId, onB.instanceNumber);
    expect([after.status, after.cluster_id]).toEqual(['RUNNING', await clusterId('site-a')]);
    const svc = await api('GET', `/api/service/${serviceId}`);
    expect(svc.body.instance_list).toHaveLength(2);
  });

  it('keeps an instance that fits nowhere else on its lost cluster, and completes its delete at once', async () => {
    const c = await dial('site-c');
    const serviceId = await createService('pinned', ms('db', { constraints: [{ type: 'direct', cluster: 'site-c' }] }));
    const deployed = await api('POST', `/api/service/${serviceId}/instance`);
    expect(deployed.status).toBe(200);
    const spec = await waitFor('deploy on site-c', () => c.deploys.find((d) => d.serviceId === serviceId));
    await c.report(running(spec));
    c.silence();
    const stuck = await waitFor('DEAD and kept on site-c after CLUSTER_LOST_MS', async () => {
      const i = await instance(serviceId, 0);
      return i?.status === 'DEAD' && i.status_detail.startsWith('cluster site-c is lost') ? i : undefined;
    });
    expect(stuck.status_detail).toContain('no other cluster can take the instance yet');
    expect(stuck.cluster_id).toBe(await clusterId('site-c'));

    const removed = await api('DELETE', `/api/service/${serviceId}/instance/0`);
    expect(removed.status).toBe(200);
    expect(removed.body.status).toBe('UNDEPLOYED');
    expect(removed.body.status_detail).toContain('removed at the root while cluster site-c is not reporting');

    const back = await dial('site-c');
    const reply = await back.sync([running(spec)]);
    expect(reply.desired.filter((d: any) => d.serviceId === serviceId)).toEqual([]);
    expect((await instance(serviceId, 0)) ?? null).toBeNull();
  });

  it('replaces an instance its cluster removed without being asked, so none stays UNDEPLOYED while desired', async () => {
    const d = await dial('site-d');
    const serviceId = await createService(
      'unasked',
      ms('api', { replicas: 1, constraints: [{ type: 'direct', cluster: 'site-d' }] }),
    );
    const first = await waitFor('deploy on site-d', () => d.deploys.find((x) => x.serviceId === serviceId));
    await d.report(running(first));
    await d.report({ ...running(first), status: 'UNDEPLOYED', status_detail: 'node lost' });
    const next = await waitFor('a replacement instance', () =>
      d.deploys.find((x) => x.serviceId === serviceId && x.instanceNumber !== first.instanceNumber),
    );
    expect(next.instanceNumber).toBe(first.instanceNumber + 1);
    const svc = await api('GET', `/api/service/${serviceId}`);
    expect(svc.body.instance_list.map((i: any) => i.instance_number)).toEqual([next.instanceNumber]);
  });

  it('refuses at create and update what would make a spec the clusters refuse, naming the SLA field', async () => {
    const labels = Object.fromEntries(Array.from({ length: 64 }, (_, i) => [`k${i}`, 'v']));
    const tooMany = await api('POST', '/api/application', {
      sla_version: 'v2.0',
      customerID: 'c',
      applications: [
        {
          applicationID: '',
          application_name: 'labels',
          application_namespace: 'ns',
          microservices: [ms('rt', { node_labels: labels, realtime: true })],
        },
      ],
    });
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.errors).toEqual([
      { path: 'applications[0].microservices[0].node_labels', message: expect.stringContaining('at most 64 labels') },
    ]);

    const serviceId = await createService('binds', ms('files'));
    const put = await api('PUT', `/api/service/${serviceId}`, ms('files', { binds: [`/${'x'.repeat(1024)}:/data`] }));
    expect(put.status).toBe(400);
    expect(put.body.errors.map((e: any) => e.path)).toEqual(['binds']);
  });
});
