import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NodeRegisterResponse } from '@canopy/schema';
import pino from 'pino';
import { startCluster, type ClusterHandle } from '../src';
import { NodeClient, register } from './support/node-client';
import { RootPeer } from './support/root-peer';
import { freePort, waitFor } from '@canopy/testing';

const CLUSTER_TOKEN = 'cluster-secret-token';
const METRICS_TOKEN = 'cluster-metrics-token-0123456789';
jest.setTimeout(20_000);

/** The cluster's `GET /metrics`: guarded by its scrape token, counting what the cluster holds. */
describe('cluster metrics (real HTTP, MQTT, Socket.IO)', () => {
  let dataDir: string;
  let root: RootPeer;
  let cluster: ClusterHandle;
  let node: NodeClient | undefined;

  const scrape = async (token?: string) => {
    const res = await fetch(`http://127.0.0.1:${cluster.port}/metrics`, {
      headers: token ? { authorization: `Bearer ${token}` } : {},
    });
    return { status: res.status, text: await res.text() };
  };

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'canopy-cluster-metrics-'));
    root = new RootPeer(await freePort(), CLUSTER_TOKEN);
    await root.start();
    cluster = await startCluster(
      {
        rootUrl: `http://127.0.0.1:${root.port}`,
        clusterToken: CLUSTER_TOKEN,
        clusterName: 'metrics-cluster',
        port: 0,
        host: '127.0.0.1',
        mqttPort: 0,
        dataDir,
        nodeLivenessMs: 1500,
        syncIntervalMs: 1000,
        metricsToken: METRICS_TOKEN,
      },
      pino({ level: 'silent' }),
    );
    await waitFor('the cluster to reach the root', () => root.syncs.length > 0);
  });

  afterAll(async () => {
    await node?.close().catch(() => undefined);
    await cluster?.stop();
    await root?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('refuses a scrape without the token', async () => {
    expect((await scrape()).status).toBe(401);
    expect((await scrape('wrong-metrics-token-000000000')).status).toBe(401);
  });

  it('counts live nodes, free capacity and the root link', async () => {
    const reg = await register(cluster.port, cluster.nodeToken, {
      name: 'metered',
      arch: 'amd64',
      cpuCores: 2,
      memoryMb: 2048,
    });
    expect(reg.status).toBe(200);
    node = await NodeClient.connect(cluster.mqttPort, reg.json as unknown as NodeRegisterResponse);
    await node.heartbeat();
    const text = await waitFor('the active node in the metrics', async () => {
      const scraped = (await scrape(METRICS_TOKEN)).text;
      return scraped.includes('canopy_cluster_nodes{active="true"} 1') ? scraped : undefined;
    });
    expect(text).toContain('canopy_cluster_nodes{active="true"} 1');
    expect(text).toContain('canopy_cluster_free{resource="cpu_millis"} 2000');
    expect(text).toContain('canopy_cluster_root_connected 1');
    expect(text).toContain('canopy_cluster_instances{status="RUNNING"} 0');
  });
});
