import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NodeTopics, type NodeRegisterResponse } from '@canopy/schema';
import pino from 'pino';
import { startCluster, type ClusterHandle } from '../src';
import { NodeClient, register } from './support/node-client';
import { RootPeer, spec } from './support/root-peer';
import { freePort, waitFor } from './support/wait';

const CLUSTER_TOKEN = 'cluster-secret-token';
jest.setTimeout(20_000);

/**
 * A node that stops reporting: its instances must not keep showing RUNNING at the root. They are
 * reported DEAD with the reason, and RUNNING again once the node speaks.
 */
describe('a node that goes silent and comes back (real HTTP, MQTT, Socket.IO)', () => {
  let dataDir: string;
  let root: RootPeer;
  let cluster: ClusterHandle;
  let node: NodeClient;
  let reg: NodeRegisterResponse;

  const statuses = () => root.statusesOf('svc-lost').map((r) => r.status);
  const running = () =>
    node.publish(NodeTopics.job(reg.id), {
      serviceId: 'svc-lost',
      instanceNumber: 0,
      generation: 1,
      sname: 'app.default.svc-lost.default',
      instance: 0,
      status: 'RUNNING',
      containerId: 'c0ffee',
    });

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'canopy-node-loss-'));
    root = new RootPeer(await freePort(), CLUSTER_TOKEN);
    await root.start();
    cluster = await startCluster(
      {
        rootUrl: `http://127.0.0.1:${root.port}`,
        clusterToken: CLUSTER_TOKEN,
        clusterName: 'loss-cluster',
        port: 0,
        host: '127.0.0.1',
        mqttPort: 0,
        dataDir,
        nodeLivenessMs: 600,
        syncIntervalMs: 1000,
      },
      pino({ level: 'silent' }),
    );
    await waitFor('the cluster to reach the root', () => root.syncs.length > 0);
    const res = await register(cluster.port, cluster.nodeToken, {
      name: 'flaky',
      arch: 'amd64',
      cpuCores: 2,
      memoryMb: 2048,
    });
    reg = res.json as unknown as NodeRegisterResponse;
    node = await NodeClient.connect(cluster.mqttPort, reg);
    await node.subscribeControl();
    node.startHeartbeats(150);
    await waitFor('the node active at the root', () => root.resources.some((r) => r.activeNodes === 1));
  });

  afterAll(async () => {
    await node?.close().catch(() => undefined);
    await cluster?.stop();
    await root?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('reports DEAD with the reason while the node is silent, and RUNNING when it is back', async () => {
    expect(await root.deploy(spec('svc-lost'))).toEqual({ ok: true });
    await waitFor('the deploy at the node', () => node.on('control/deploy').length > 0);
    await running();
    await waitFor('RUNNING at the root', () => statuses().includes('RUNNING'));

    await node.close();
    const dead = await waitFor(
      'DEAD at the root',
      () => root.statusesOf('svc-lost').find((r) => r.status === 'DEAD'),
      5000,
    );
    expect(dead.status_detail).toContain('node flaky stopped reporting');

    node = await NodeClient.connect(cluster.mqttPort, reg);
    node.startHeartbeats(150);
    await running();
    await waitFor('RUNNING again at the root', () => statuses().lastIndexOf('RUNNING') > statuses().indexOf('DEAD'));
  });
});
