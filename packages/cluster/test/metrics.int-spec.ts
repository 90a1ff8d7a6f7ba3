import type { NodeRegisterResponse } from '@canopy/schema';
import pino from 'pino';
import type { ClusterHandle } from '../src';
import { NodeClient, register } from './support/node-client';
import { waitFor } from '@canopy/testing';
import { startStand, stopStand, type Stand } from './support/stand';

const CLUSTER_TOKEN = 'cluster-secret-token';
const METRICS_TOKEN = 'cluster-metrics-token-0123456789';
jest.setTimeout(20_000);

/** The cluster's `GET /metrics`: guarded by its scrape token, counting what the cluster holds. */
describe('cluster metrics (real HTTP, MQTT, Socket.IO)', () => {
  let stand: Stand | undefined;
  let cluster: ClusterHandle;
  let node: NodeClient | undefined;

  const scrape = async (token?: string) => {
    const res = await fetch(`http://127.0.0.1:${cluster.port}/metrics`, {
      headers: token ? { authorization: `Bearer ${token}` } : {},
    });
    return { status: res.status, text: await res.text() };
  };

  beforeAll(async () => {
    stand = await startStand({
      token: CLUSTER_TOKEN,
      log: pino({ level: 'silent' }),
      config: {
        clusterName: 'metrics-cluster',
        port: 0,
        host: '127.0.0.1',
        mqttPort: 0,
        nodeLivenessMs: 1500,
        syncIntervalMs: 1000,
        metricsToken: METRICS_TOKEN,
      },
    });
    ({ cluster } = stand);
  });

  afterAll(async () => {
    await node?.close().catch(() => undefined);
    await stopStand(stand);
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
    expect(text).toContain('canopy_cluster_capacity{resource="memory_mb"} 2048');
    // Every placement result is there from the start, so rate() sees the first one.
    expect(text).toContain('# TYPE canopy_cluster_placements_total counter');
    expect(text).toContain('canopy_cluster_placements_total{result="placed"} 0');
    expect(text).toContain('canopy_cluster_placements_total{result="no_capacity"} 0');
    expect(text).toContain('canopy_cluster_root_connected 1');
    expect(text).toContain('canopy_cluster_instances{status="RUNNING"} 0');
  });
});
