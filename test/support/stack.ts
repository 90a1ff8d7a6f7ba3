import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RootApi } from './api';
import { ensureTestImage, removeContainersWithLabel } from './docker';
import { freePort } from './ports';
import { startTier, stopTier, waitFor, type TierProcess } from './processes';

export interface Stack {
  api: RootApi;
  work: string;
  clusterName: string;
  nodeNames: string[];
  tiers: TierProcess[];
  stop(): Promise<void>;
}

/**
 * Root, one cluster and one node engine as separate processes on free ports, with the admin
 * logged in and the cluster active with its node. `stop()` ends them by pid and removes the
 * containers their node created.
 */
export async function startStack(name: string, env: { root?: NodeJS.ProcessEnv } = {}): Promise<Stack> {
  ensureTestImage();
  const work = mkdtempSync(join(tmpdir(), `canopy-${name}-`));
  const adminPassword = `${name}-admin-password`;
  const clusterToken = `${name}-cluster-token-0123456789`;
  const nodeToken = `${name}-node-token-0123456789`;
  const clusterName = `${name}-cluster`;
  const nodeName = `${name}-node-${process.pid}`;
  const [rootPort, clusterPort, mqttPort] = [await freePort(), await freePort(), await freePort()];
  const tiers: TierProcess[] = [];
  tiers.push(
    startTier(
      'root',
      'root',
      {
        ROOT_PORT: String(rootPort),
        ROOT_DATA_DIR: join(work, 'root'),
        CANOPY_ADMIN_PASSWORD: adminPassword,
        CANOPY_CLUSTER_TOKEN: clusterToken,
        RECONCILE_INTERVAL_MS: '1000',
        ...env.root,
      },
      work,
    ),
  );
  const api = new RootApi(`http://127.0.0.1:${rootPort}`);
  await waitFor('root health', async () => ((await api.request('GET', '/health')).status === 200 ? true : undefined));
  tiers.push(
    startTier(
      'cluster',
      'cluster',
      {
        ROOT_URL: api.baseUrl,
        CLUSTER_TOKEN: clusterToken,
        CLUSTER_NAME: clusterName,
        CLUSTER_PORT: String(clusterPort),
        MQTT_PORT: String(mqttPort),
        NODE_TOKEN: nodeToken,
        CLUSTER_DATA_DIR: join(work, 'cluster'),
        SYNC_INTERVAL_MS: '2000',
      },
      work,
    ),
  );
  tiers.push(
    startTier(
      'node-engine',
      'node',
      {
        CLUSTER_URL: `http://127.0.0.1:${clusterPort}`,
        NODE_TOKEN: nodeToken,
        NODE_NAME: nodeName,
        NODE_DATA_DIR: join(work, 'node'),
        REPORT_INTERVAL_MS: '500',
      },
      work,
    ),
  );
  await api.login('Admin', adminPassword);
  await waitFor('an active cluster with a live node', async () => {
    const res = await api.request('GET', '/api/clusters/active');
    const c = Array.isArray(res.body) ? res.body.find((x: any) => x.cluster_name === clusterName) : undefined;
    return c?.resources?.activeNodes >= 1 ? c : undefined;
  });
  return {
    api,
    work,
    clusterName,
    nodeNames: [nodeName],
    tiers,
    stop: async () => {
      for (const t of [...tiers].reverse()) await stopTier(t);
      for (const t of tiers.filter((x) => x.name.startsWith('node'))) {
        const nodeId = nodeIdFromLog(t.logFile);
        if (nodeId) removeContainersWithLabel(`io.canopy.node-id=${nodeId}`);
      }
      rmSync(work, { recursive: true, force: true });
    },
  };
}

/** The id the cluster gave a node engine, from the engine's own log. */
export function nodeIdFromLog(logFile: string): string | undefined {
  return /"nodeId":"([A-Za-z0-9_-]+)"/.exec(readFileSync(logFile, 'utf8'))?.[1];
}
