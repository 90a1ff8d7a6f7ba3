import { slaWith, type RootApi } from '../support/api';
import { startStack, type Stack } from '../support/stack';
import { containersWithLabel, removeContainersWithLabel, waitFor } from '@canopy/testing';

/**
 * Issue 4, end to end: root, one cluster and TWO node engines (separate processes sharing this
 * machine's Docker engine, containers labelled with their node id) with different labels. Pins and
 * filters must land where they say; what fits nowhere must say why, in Oakestra's statuses.
 */
describe('placement end to end (root + cluster + two node engines)', () => {
  jest.setTimeout(240_000);

  const nodeA = `e2e-pa-${process.pid}`;
  const nodeB = `e2e-pb-${process.pid}`;
  const serviceIds: string[] = [];
  let stack: Stack;
  let api: RootApi;
  let clusterName = '';
  /** The CPU one node offers, in whole cores, as the cluster reports it. */
  let nodeCores = 0;
  let app = 0;

  const TERMINAL = [
    'FAILED',
    'DEAD',
    'NO_WORKER_CAPACITY',
    'NO_QUALIFIED_WORKER_FOUND',
    'TargetClusterNotFound',
    'TargetClusterNoCapacity',
    'NoActiveClusterWithCapacity',
  ];

  /** Creates a one-microservice application and asks for one instance; returns where to look. */
  async function deployOne(ms: Record<string, unknown>): Promise<{ serviceId: string; n: number }> {
    app++;
    const created = await api.request(
      'POST',
      '/api/application',
      slaWith(
        [
          {
            microserviceID: '',
            microservice_name: `svc${app}`,
            microservice_namespace: 'test',
            virtualization: 'container',
            code: 'canopy-test/busybox:latest',
            cmd: ['sleep', '3600'],
            memory: 16,
            ...ms,
          },
        ],
        `place${app}`,
      ),
    );
    expect(created.status).toBe(201);
    const serviceId: string = created.body.applications[0].microservices[0];
    serviceIds.push(serviceId);
    const deployed = await api.request('POST', `/api/service/${serviceId}/instance`);
    expect(deployed.status).toBe(200);
    return { serviceId, n: deployed.body.instance_number as number };
  }

  /** Waits until the instance is RUNNING or has ended in a failure status; returns its view. */
  async function settled(where: { serviceId: string; n: number }, timeoutMs = 60_000): Promise<any> {
    return waitFor(
      `instance ${where.n} of ${where.serviceId} settled`,
      async () => {
        const svc = await api.request('GET', `/api/service/${where.serviceId}`);
        const inst = svc.body.instance_list?.find((i: any) => i.instance_number === where.n);
        return inst && (inst.status === 'RUNNING' || TERMINAL.includes(inst.status)) ? inst : undefined;
      },
      timeoutMs,
    );
  }

  async function running(ms: Record<string, unknown>): Promise<any> {
    const inst = await settled(await deployOne(ms));
    if (inst.status !== 'RUNNING') {
      throw new Error(`expected RUNNING, got ${inst.status}: ${inst.status_detail}`);
    }
    return inst;
  }

  beforeAll(async () => {
    stack = await startStack('place', {
      // Munich; the node engines register no location of their own, so they sit here too.
      clusterEnv: { CLUSTER_LOCATION: '48.14,11.58', RESOURCES_INTERVAL_MS: '500' },
      nodes: [
        { name: nodeA, env: { NODE_LABELS: 'zone=a' } },
        { name: nodeB, env: { NODE_LABELS: 'zone=b,realtime=true' } },
      ],
    });
    api = stack.api;
    clusterName = stack.clusterName;
    const active = await api.request('GET', '/api/clusters/active');
    const cluster = active.body.find((x: any) => x.cluster_name === clusterName);
    // What the root learns besides totals: the largest single node, overall and per architecture.
    const largest = cluster.resources.largestNodeFree;
    expect(largest.cpuMillis).toBeGreaterThanOrEqual(1000);
    expect(cluster.resources.cpuMillisTotal).toBe(2 * largest.cpuMillis);
    expect(Object.values(cluster.resources.largestNodeFreeByArch)).toEqual([largest]);
    nodeCores = Math.floor(largest.cpuMillis / 1000);
  });

  afterAll(async () => {
    await stack.stop();
    for (const id of serviceIds) {
      removeContainersWithLabel(`io.canopy.service-id=${id}`);
    }
  });

  it('lands a direct node pin on that node, whichever node the policy would prefer', async () => {
    for (const [target, policy] of [
      [nodeB, 'best-fit'],
      [nodeA, 'worst_fit'],
    ] as const) {
      const inst = await running({
        placement_policy: policy,
        constraints: [{ type: 'direct', cluster: clusterName, node: target }],
      });
      expect(inst.node_name).toBe(target);
      // The container really runs under the node engine of that node.
      expect(containersWithLabel(`io.canopy.node-id=${inst.worker_id}`).length).toBeGreaterThanOrEqual(1);
    }
  });

  it('lands label constraints (node_labels, a label constraint, aerOS realtime) on the labelled node', async () => {
    expect((await running({ node_labels: { zone: 'a' } })).node_name).toBe(nodeA);
    expect((await running({ constraints: [{ type: 'label', key: 'zone', value: 'b' }] })).node_name).toBe(nodeB);
    expect((await running({ realtime: true })).node_name).toBe(nodeB);
  });

  it('honours a geo constraint against the cluster location, in both spellings', async () => {
    const nearMunich = await running({ constraints: [{ type: 'geo', location: '48.2,11.6', threshold: 50 }] });
    expect([nodeA, nodeB]).toContain(nearMunich.node_name);
    const paris = await settled(await deployOne({ constraints: [{ type: 'geo', location: '48.85,2.35,100' }] }));
    expect(paris.status).toBe('NoActiveClusterWithCapacity');
    expect(paris.status_detail).toContain('no active cluster within 100 km of (48.85, 2.35)');
  });

  it('fails what fits nowhere with a status and a detail a person can act on', async () => {
    // The root can tell from the cluster's report: no node has GPUs, no node has that much memory.
    const gpus = await settled(await deployOne({ vgpus: 2 }));
    expect(gpus.status).toBe('NoActiveClusterWithCapacity');
    expect(gpus.status_detail).toContain('at least 2 GPUs');
    const huge = await settled(await deployOne({ memory: 64 * 1024 * 1024 }));
    expect(huge.status).toBe('NoActiveClusterWithCapacity');
    expect(huge.status_detail).toMatch(new RegExp(`needs 0m CPU and 67108864 MB; most free is .* on ${clusterName}`));

    // Only the cluster knows its nodes' labels.
    const unlabelled = await settled(await deployOne({ node_labels: { zone: 'c' } }));
    expect(unlabelled.status).toBe('NO_QUALIFIED_WORKER_FOUND');
    expect(unlabelled.status_detail).toContain('no active node with labels {zone: "c"}');
    const unknownNode = await settled(await deployOne({ constraints: [{ type: 'direct', node: 'no-such-node' }] }));
    expect(unknownNode.status).toBe('NO_QUALIFIED_WORKER_FOUND');
    expect(unknownNode.status_detail).toContain('no node named "no-such-node"; known nodes:');

    // Reservations: node A's whole CPU taken, a second such request for node A has no room there,
    // although the cluster as a whole (node B) still has a node that large.
    const whole = { vcpus: nodeCores, node_labels: { zone: 'a' } };
    expect((await running(whole)).node_name).toBe(nodeA);
    const second = await settled(await deployOne(whole));
    expect(second.status).toBe('NO_WORKER_CAPACITY');
    expect(second.status_detail).toContain(`needs ${nodeCores * 1000}m CPU`);
    expect(second.status_detail).toContain(`on ${nodeA}`);
    expect(second.status_detail).toContain('with labels {zone: "a"} has room');
  });

  it('refuses an unknown placement policy at submission with a 400 naming the field', async () => {
    const before = await api.request('GET', '/api/applications');
    const res = await api.request(
      'POST',
      '/api/application',
      slaWith(
        [
          {
            microservice_name: 'web',
            microservice_namespace: 'test',
            virtualization: 'container',
            code: 'canopy-test/busybox:latest',
            placement_policy: 'random-fit',
            constraints: [{ type: 'geo', location: '48.1,11.5' }],
          },
        ],
        'badpolicy',
      ),
    );
    expect(res.status).toBe(400);
    const paths = res.body.errors.map((e: any) => e.path);
    expect(paths).toContain('applications[0].microservices[0].placement_policy');
    expect(paths).toContain('applications[0].microservices[0].constraints[0].location');
    expect((await api.request('GET', '/api/applications')).body).toEqual(before.body);
  });

  it('reports TargetClusterNotFound for a pin to an unknown cluster, naming the known ones', async () => {
    const inst = await settled(await deployOne({ constraints: [{ type: 'direct', cluster: 'atlantis' }] }));
    expect(inst.status).toBe('TargetClusterNotFound');
    expect(inst.status_detail).toContain('no cluster named "atlantis"; known clusters:');
    expect(inst.status_detail).toContain(clusterName);
  });
});
