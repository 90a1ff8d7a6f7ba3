import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RootApi } from './api';
import { ensureTestImage, removeContainersWithLabel } from './docker';
import { freePort } from './ports';
import { startTier, stopTier, waitFor, type TierProcess } from './processes';

export interface StackOptions {
  rootEnv?: NodeJS.ProcessEnv;
  clusterEnv?: NodeJS.ProcessEnv;
  /** One entry per node engine; default: a single node with no extra environment. */
  nodes?: { name: string; env?: NodeJS.ProcessEnv }[];
}

export interface Stack {
  api: RootApi;
  work: string;
  clusterName: string;
  nodeNames: string[];
  adminPassword: string;
  /** The root process currently running (replaced by `restartRoot`). */
  root: TierProcess;
  /** Starts the root again on the same port and data directory, after the caller ended the old one. */
  restartRoot(name: string): Promise<TierProcess>;
  /** Resolves once the cluster is connected at the root with every node live. */
  clusterReady(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Root, one cluster and its node engines as separate processes on free ports, each from its built
 * `dist/main.js`, with the admin logged in and the cluster active with all its nodes. `stop()` ends
 * them by pid and removes the containers their nodes created.
 */
export async function startStack(name: string, options: StackOptions = {}): Promise<Stack> {
  ensureTestImage();
  const work = mkdtempSync(join(tmpdir(), `canopy-${name}-`));
  const adminPassword = `${name}-admin-password`;
  const clusterToken = `${name}-cluster-token-0123456789`;
  const nodeToken = `${name}-node-token-0123456789`;
  const clusterName = `${name}-cluster`;
  const nodes = options.nodes ?? [{ name: `${name}-node-${process.pid}` }];
  const [rootPort, clusterPort, mqttPort] = [await freePort(), await freePort(), await freePort()];
  const tiers: TierProcess[] = [];
  const api = new RootApi(`http://127.0.0.1:${rootPort}`);

  const launchRoot = async (tierName: string): Promise<TierProcess> => {
    const root = startTier(
      'root',
      tierName,
      {
        ROOT_PORT: String(rootPort),
        ROOT_DATA_DIR: join(work, 'root'),
        CANOPY_ADMIN_PASSWORD: adminPassword,
        CANOPY_CLUSTER_TOKEN: clusterToken,
        RECONCILE_INTERVAL_MS: '1000',
        ...options.rootEnv,
      },
      work,
    );
    tiers.push(root);
    try {
      await waitFor('root health', async () =>
        (await api.request('GET', '/health')).status === 200 ? true : undefined,
      );
    } catch (error) {
      await stopTier(root);
      throw error;
    }
    return root;
  };

  const clusterReady = async (): Promise<void> => {
    await waitFor('an active cluster with all its nodes live', async () => {
      const res = await api.request('GET', '/api/clusters/active');
      const c = Array.isArray(res.body) ? res.body.find((x: any) => x.cluster_name === clusterName) : undefined;
      return c?.resources?.activeNodes >= nodes.length ? true : undefined;
    });
  };

  const stack: Stack = {
    api,
    work,
    clusterName,
    nodeNames: nodes.map((n) => n.name),
    adminPassword,
    root: await launchRoot('root'),
    restartRoot: async (tierName) => {
      stack.root = await launchRoot(tierName);
      return stack.root;
    },
    clusterReady,
    stop: async () => {
      for (const t of [...tiers].reverse()) {
        await stopTier(t);
      }
      for (const t of tiers.filter((x) => x.name.startsWith('node'))) {
        const nodeId = nodeIdFromLog(t.logFile);
        if (nodeId) {
          removeContainersWithLabel(`io.canopy.node-id=${nodeId}`);
        }
      }
      rmSync(work, { recursive: true, force: true });
    },
  };

  try {
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
          ...options.clusterEnv,
        },
        work,
      ),
    );
    for (const [i, node] of nodes.entries()) {
      tiers.push(
        startTier(
          'node-engine',
          `node-${i}`,
          {
            CLUSTER_URL: `http://127.0.0.1:${clusterPort}`,
            NODE_TOKEN: nodeToken,
            NODE_NAME: node.name,
            NODE_DATA_DIR: join(work, `node-${i}`),
            REPORT_INTERVAL_MS: '500',
            ...node.env,
          },
          work,
        ),
      );
    }
    await api.login('Admin', adminPassword);
    await clusterReady();
  } catch (error) {
    // A stack that never came up must not leave its processes behind (nor keep jest alive).
    await stack.stop();
    throw error;
  }
  return stack;
}

/** The id the cluster gave a node engine, from the engine's own log. */
export function nodeIdFromLog(logFile: string): string | undefined {
  return /"nodeId":"([A-Za-z0-9_-]+)"/.exec(readFileSync(logFile, 'utf8'))?.[1];
}
