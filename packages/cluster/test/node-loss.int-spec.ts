import { NodeTopics, type NodeRegisterResponse, type SyncCommand } from '@canopy/schema';
import pino from 'pino';
import type { ClusterHandle } from '../src';
import { NodeClient, register } from './support/node-client';
import { spec, type RootPeer } from './support/root-peer';
import { waitFor } from '@canopy/testing';
import { startStand, stopStand, type Stand } from './support/stand';

const CLUSTER_TOKEN = 'cluster-secret-token';
jest.setTimeout(30_000);

/**
 * A node that stops reporting. Its instances must not keep showing RUNNING at the root: they are
 * reported DEAD with the reason; past NODE_LOST_MS the node is declared lost and they are placed on
 * another node; when the lost node comes back, its sync no longer lists them.
 */
describe('a node that goes silent (real HTTP, MQTT, Socket.IO)', () => {
  let stand: Stand | undefined;
  let root: RootPeer;
  let cluster: ClusterHandle;
  const regs: NodeRegisterResponse[] = [];
  const clients: NodeClient[] = [];

  const reportRunning = (i: number, serviceId: string) =>
    clients[i]!.publish(NodeTopics.job(regs[i]!.id), {
      serviceId,
      instanceNumber: 0,
      generation: 1,
      sname: `app.default.${serviceId}.default`,
      instance: 0,
      status: 'RUNNING',
      containerId: `c-${i}`,
    });
  const deployedTo = (serviceId: string) =>
    [0, 1].filter((i) =>
      clients[i]!.on('control/deploy').some((m) => (m.body as { serviceId: string }).serviceId === serviceId),
    );

  beforeAll(async () => {
    stand = await startStand({
      token: CLUSTER_TOKEN,
      log: pino({ level: 'silent' }),
      config: {
        clusterName: 'loss-cluster',
        port: 0,
        host: '127.0.0.1',
        mqttPort: 0,
        nodeLivenessMs: 600,
        nodeLostMs: 2000,
        syncIntervalMs: 1000,
      },
    });
    ({ root, cluster } = stand);
    for (const name of ['flaky', 'steady']) {
      const res = await register(cluster.port, cluster.nodeToken, { name, arch: 'amd64', cpuCores: 2, memoryMb: 2048 });
      const reg = res.json as unknown as NodeRegisterResponse;
      const client = await NodeClient.connect(cluster.mqttPort, reg);
      await client.subscribeControl();
      client.startHeartbeats(150);
      regs.push(reg);
      clients.push(client);
    }
    await waitFor('both nodes active at the root', () => root.resources.some((r) => r.activeNodes === 2));
  });

  afterAll(async () => {
    for (const c of clients) {
      await c.close().catch(() => undefined);
    }
    await stopStand(stand);
  });

  it('reports DEAD, with the reason, while the node is silent', async () => {
    expect(await root.deploy(spec('svc-lost', { constraints: [{ type: 'direct', node: 'flaky' }] }))).toEqual({
      ok: true,
    });
    await waitFor('the deploy at flaky', () => deployedTo('svc-lost').includes(0) || undefined);
    await reportRunning(0, 'svc-lost');
    await waitFor('RUNNING at the root', () => root.statusesOf('svc-lost').some((r) => r.status === 'RUNNING'));

    await clients[0]!.close();
    const dead = await waitFor(
      'DEAD at the root',
      () => root.statusesOf('svc-lost').find((r) => r.status === 'DEAD'),
      5000,
    );
    expect(dead.status_detail).toContain('node flaky stopped reporting');
  });

  it('places an unpinned instance of the lost node elsewhere, and the node drops it when back', async () => {
    // The pinned one cannot move (its pin names the lost node); an unpinned one can.
    const [steady, flaky] = [1, 0];
    clients[flaky] = await NodeClient.connect(cluster.mqttPort, regs[flaky]!);
    await clients[flaky].subscribeControl();
    clients[flaky].startHeartbeats(150);
    await waitFor('flaky active again', () => root.resources.some((r) => r.activeNodes === 2) || undefined, 5000);
    await clients[steady]!.close();
    clients[steady] = await NodeClient.connect(cluster.mqttPort, regs[steady]!);
    await clients[steady].subscribeControl();
    // `steady` stays connected but silent for a moment, so the next deploy lands on flaky.
    await waitFor('only flaky active', () => root.resources.at(-1)?.activeNodes === 1 || undefined, 5000);
    expect(await root.deploy(spec('svc-move'))).toEqual({ ok: true });
    await waitFor('the deploy at flaky', () => deployedTo('svc-move').includes(flaky) || undefined);
    clients[steady].startHeartbeats(150);
    await reportRunning(flaky, 'svc-move');

    await clients[flaky].close();
    const moved = await waitFor(
      'the instance placed on steady',
      () => root.statusesOf('svc-move').find((r) => r.status === 'NODE_SCHEDULED' && r.nodeId === regs[steady]!.id),
      10_000,
    );
    expect(moved.nodeName).toBe('steady');
    await waitFor('the deploy at steady', () => deployedTo('svc-move').includes(steady) || undefined);

    clients[flaky] = await NodeClient.connect(cluster.mqttPort, regs[flaky]!);
    await clients[flaky].subscribeControl();
    clients[flaky].startHeartbeats(150);
    const sync = await waitFor('a sync for the returning node', () => clients[flaky]!.on('control/sync').at(-1), 5000);
    expect((sync.body as SyncCommand).instances.map((i) => i.serviceId)).not.toContain('svc-move');
  });
});
