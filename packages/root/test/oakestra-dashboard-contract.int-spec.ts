import { buildInfrastructureElement, type InfrastructureElement } from '@canopy/schema';
import { waitFor } from '@canopy/testing';
import { FakeCluster, oneNodeResources } from './support/fake-cluster';
import { jwtPayload, startHttpRoot, type TestRoot } from './support/http-root';

const CLUSTER_TOKEN = 'dashboard-contract-cluster-token-01';

/** A ready node of 4 cores as its node engine measured it: `cpuPercent` busy, 1024 MB available. */
function node(name: string, cpuPercent: number): InfrastructureElement {
  return buildInfrastructureElement(
    { id: `id-${name}`, name, arch: 'amd64', cpuCores: 4, memoryMb: 4096, labels: {} },
    { active: true, info: { cpuCores: 4, cpuPercent, memoryTotalMb: 4096, memoryFreeMb: 1024 } },
    { domain: 'edge' },
  );
}

/**
 * Issue 11, the calls the prebuilt Oakestra dashboard (oakestra/dashboard `dist/`) needed fixed,
 * found by driving it (scripts/oakestra-dashboard-check.js): each request as the dashboard sends
 * it, against a real root over HTTP with a cluster on a real Socket.IO link, and the fields it reads.
 */
describe("Oakestra's dashboard: cluster and instance fields it reads (real root)", () => {
  jest.setTimeout(60_000);
  let t: TestRoot;
  let token = '';
  const clusters: FakeCluster[] = [];

  beforeAll(async () => {
    t = await startHttpRoot({ CANOPY_CLUSTER_TOKEN: CLUSTER_TOKEN, CANOPY_ALLOW_SHARED_CLUSTER_TOKEN: 'true' });
    token = (await t.login('Admin', t.adminPassword)).token;
  });
  afterAll(async () => {
    for (const c of clusters) {
      c.silence();
    }
    await t.stop();
  });

  const clusterNamed = async (name: string) => {
    // The service form's cluster constraint lists `GET /api/clusters/` by `cluster_name`.
    const res = await t.call('GET', '/api/clusters/', { token });
    expect(res.status).toBe(200);
    return res.body.find((c: { cluster_name: string }) => c.cluster_name === name);
  };

  it('GET /api/clusters/: pairing, location, measured CPU and memory, last heard', async () => {
    const registered = await t.call('POST', '/api/clusters', {
      token,
      body: { name: 'edge-reg', location: '48.1,11.6' },
    });
    expect(registered.status).toBe(201);
    // Registered, not yet dialled in: not paired, never heard.
    expect(await clusterNamed('edge-reg')).toMatchObject({
      pairing_complete: false,
      active: false,
      last_modified_timestamp: null,
      cluster_latitude: '48.1',
      cluster_longitude: '11.6',
    });

    const cluster = new FakeCluster(t.root.url, registered.body.credential, 'edge-reg', {
      ...oneNodeResources(8000, 8192),
      infrastructureElements: [node('w1', 10), node('w2', 70)],
    });
    clusters.push(cluster);
    await cluster.connected();
    await cluster.sync();
    const before = Math.floor(Date.now() / 1000);
    const seen = await waitFor('edge-reg active', async () => {
      const c = await clusterNamed('edge-reg');
      return c?.active === true ? c : undefined;
    });
    expect(seen).toMatchObject({
      pairing_complete: true,
      cluster_name: 'edge-reg',
      cluster_location: '48.1,11.6',
      // the nodes' own measurements: (10·4 + 70·4) / 8 cores, 1024 + 1024 MB available
      aggregated_cpu_percent: 40,
      memory_in_mb: 2048,
      total_cpu_cores: 8,
      active_nodes: 1,
    });
    // heard by its heartbeat (every 200 ms), not frozen at the time it connected
    await waitFor('a later heartbeat', async () => {
      const c = await clusterNamed('edge-reg');
      return c.last_modified_timestamp > before ? true : undefined;
    });
    expect(Math.abs((await clusterNamed('edge-reg')).last_modified_timestamp - Date.now() / 1000)).toBeLessThan(5);
  });

  it('a cluster that sends no node figures: the reserved share and the unreserved memory', async () => {
    const cluster = new FakeCluster(t.root.url, CLUSTER_TOKEN, 'edge-old', {
      ...oneNodeResources(2000, 4096),
      cpuMillisFree: 500,
    });
    clusters.push(cluster);
    await cluster.connected();
    await cluster.sync();
    const c = await waitFor('edge-old active', async () => {
      const v = await clusterNamed('edge-old');
      return v?.active === true ? v : undefined;
    });
    expect(c).toMatchObject({ aggregated_cpu_percent: 75, memory_in_mb: 4096, cluster_latitude: null });
  });

  it("GET /api/service/<id>: an instance's cluster_location is '' on a cluster with no location", async () => {
    const cluster = new FakeCluster(t.root.url, CLUSTER_TOKEN, 'edge-noloc', oneNodeResources(4000, 8192));
    clusters.push(cluster);
    await cluster.connected();
    await cluster.sync();
    await waitFor('edge-noloc active', async () => ((await clusterNamed('edge-noloc'))?.active ? true : undefined));
    const sub = String(jwtPayload(token).sub);
    const app = await t.call('POST', '/api/application/', {
      token,
      body: {
        sla_version: 'v2.0',
        customerID: sub,
        applications: [{ application_name: 'dashc', application_namespace: 'test', microservices: [] }],
      },
    });
    expect(app.status).toBe(201);
    const [created] = (await t.call('GET', `/api/applications/${sub}`, { token })).body.filter(
      (a: { application_name: string }) => a.application_name === 'dashc',
    );
    // The service form's body: its empty fields left in, the cluster picked from the list.
    const service = await t.call('POST', '/api/service/', {
      token,
      body: {
        sla_version: 'v2.0',
        customerID: sub,
        applications: [
          {
            applicationID: created._id.$oid,
            application_name: 'dashc',
            application_namespace: 'test',
            application_desc: 'd',
            microservices: [
              {
                microserviceID: '1234',
                microservice_name: 'web',
                microservice_namespace: 'test',
                virtualization: 'container',
                description: '',
                memory: 64,
                vcpus: 1,
                port: '',
                code: 'canopy-test/busybox:latest',
                state: '',
                added_files: [],
                args: [],
                environment: [],
                constraints: [{ type: 'direct', node: '', cluster: 'edge-noloc' }],
                connectivity: [],
              },
            ],
          },
        ],
      },
    });
    expect(service.status).toBe(201);
    const [listed] = (await t.call('GET', `/api/services/${created._id.$oid}`, { token })).body;
    const deployed = await t.call('POST', `/api/service/${listed._id.$oid}/instance`, { token, body: listed });
    expect(deployed.status).toBe(200);
    const instance = await waitFor('the instance placed on edge-noloc', async () => {
      const got = await t.call('GET', `/api/service/${listed._id.$oid}`, { token });
      const i = got.body.instance_list[0];
      return i?.cluster_id ? i : undefined;
    });
    expect(cluster.deploys).toHaveLength(1);
    expect(instance.cluster_location).toBe('');
    const inList = (await t.call('GET', `/api/services/${created._id.$oid}`, { token })).body[0].instance_list[0];
    expect(inList.cluster_location).toBe('');
  });
});
