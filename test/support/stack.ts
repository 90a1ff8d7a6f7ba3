import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RootApi } from './api';
import { startTier, stopTier, type TierProcess } from './processes';
import { ensureTestImage, freePort, removeContainersWithLabel, waitFor } from '@canopy/testing';

export interface StackOptions {
  rootEnv?: NodeJS.ProcessEnv;
  clusterEnv?: NodeJS.ProcessEnv;
  /** One entry per node engine; default: a single node with no extra environment. */
  nodes?: { name: string; env?: NodeJS.ProcessEnv }[];
}

/** A further cluster with its own node engines, attached to the same root (see `Stack.addCluster`). */
export interface ClusterHandle {
  clusterName: string;
  cluster: TierProcess;
  nodes: TierProcess[];
  /** Resolves once this cluster is connected at the root with every node live. */
  ready(): Promise<void>;
  /**
   * Starts the cluster and its nodes again (same ports, names and data directories) after the
   * caller ended them, as a site coming back; `cluster` and `nodes` then name the new processes.
   */
  restart(): Promise<void>;
}

export interface Stack {
  api: RootApi;
  work: string;
  clusterName: string;
  nodeNames: string[];
  adminPassword: string;
  /** The root process currently running (replaced by `restartRoot`). */
  root: TierProcess;
  /** The node engine processes, in the order of `nodes` (to stop one by pid). */
  nodeProcesses: TierProcess[];
  /** Starts the root again on the same port and data directory, after the caller ended the old one. */
  restartRoot(name: string): Promise<TierProcess>;
  /** Resolves once the cluster is connected at the root with every node live. */
  clusterReady(): Promise<void>;
  /**
   * Starts another cluster (`<name>-<suffix>`) with its own node engines on the shared Docker
   * engine, dialling the same root; `stop()` ends it too. Resolves once it is active at the root.
   */
  addCluster(suffix: string, options?: Pick<StackOptions, 'clusterEnv' | 'nodes'>): Promise<ClusterHandle>;
  stop(): Promise<void>;
}

/**
 * Root, one cluster and its node engines as separate processes on free ports, each from its built
 * `dist/main.js`, with the admin logged in and the cluster active with all its nodes. `stop()` ends
 * them by pid and removes the containers their nodes created.
 */
export async function startStack(name: string, options: StackOptions = {}): Promise<Stack> {
  await ensureTestImage();
  const work = mkdtempSync(join(tmpdir(), `canopy-${name}-`));
  const adminPassword = `${name}-admin-password`;
  const clusterToken = `${name}-cluster-token-0123456789`;
  const nodeToken = `${name}-node-token-0123456789`;
  const clusterName = `${name}-cluster`;
  const nodes = options.nodes ?? [{ name: `${name}-node-${process.pid}` }];
  const rootPort = await freePort();
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
        CANOPY_ALLOW_SHARED_CLUSTER_TOKEN: 'true',
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

  const readyFor = async (cluster: string, nodeCount: number): Promise<void> => {
    await waitFor(`${cluster} active with all its nodes live`, async () => {
      const res = await api.request('GET', '/api/clusters/active');
      const c = Array.isArray(res.body) ? res.body.find((x: any) => x.cluster_name === cluster) : undefined;
      return c?.resources?.activeNodes >= nodeCount ? true : undefined;
    });
  };
  const clusterReady = (): Promise<void> => readyFor(clusterName, nodes.length);

  /** One cluster and its node engines; their tiers join `tiers` so `stop()` ends them. */
  const launchCluster = async (
    tierPrefix: string,
    cluster: string,
    clusterNodes: { name: string; env?: NodeJS.ProcessEnv }[],
    clusterEnv: NodeJS.ProcessEnv | undefined,
    ports?: { clusterPort: number; mqttPort: number },
    run = 1,
  ): Promise<{ cluster: TierProcess; nodes: TierProcess[]; ports: { clusterPort: number; mqttPort: number } }> => {
    const { clusterPort, mqttPort } = ports ?? { clusterPort: await freePort(), mqttPort: await freePort() };
    const suffix = run === 1 ? '' : `-run${run}`;
    const clusterTier = startTier(
      'cluster',
      `${tierPrefix === '' ? 'cluster' : `cluster-${tierPrefix}`}${suffix}`,
      {
        ROOT_URL: api.baseUrl,
        CLUSTER_TOKEN: clusterToken,
        CLUSTER_NAME: cluster,
        CLUSTER_PORT: String(clusterPort),
        MQTT_PORT: String(mqttPort),
        NODE_TOKEN: nodeToken,
        CLUSTER_DATA_DIR: join(work, tierPrefix === '' ? 'cluster' : `cluster-${tierPrefix}`),
        SYNC_INTERVAL_MS: '2000',
        ...clusterEnv,
      },
      work,
    );
    tiers.push(clusterTier);
    const nodeTiers: TierProcess[] = [];
    for (const [i, node] of clusterNodes.entries()) {
      const tierName = tierPrefix === '' ? `node-${i}` : `node-${tierPrefix}-${i}`;
      const tier = startTier(
        'node-engine',
        `${tierName}${suffix}`,
        {
          CLUSTER_URL: `http://127.0.0.1:${clusterPort}`,
          NODE_TOKEN: nodeToken,
          NODE_NAME: node.name,
          NODE_DATA_DIR: join(work, tierName),
          REPORT_INTERVAL_MS: '500',
          ...node.env,
        },
        work,
      );
      tiers.push(tier);
      nodeTiers.push(tier);
    }
    return { cluster: clusterTier, nodes: nodeTiers, ports: { clusterPort, mqttPort } };
  };

  const stack: Stack = {
    api,
    work,
    clusterName,
    nodeNames: nodes.map((n) => n.name),
    adminPassword,
    root: await launchRoot('root'),
    nodeProcesses: [],
    restartRoot: async (tierName) => {
      stack.root = await launchRoot(tierName);
      return stack.root;
    },
    clusterReady,
    addCluster: async (suffix, more = {}) => {
      const extraName = `${name}-${suffix}`;
      const extraNodes = more.nodes ?? [{ name: `${name}-${suffix}-node-${process.pid}` }];
      const launched = await launchCluster(suffix, extraName, extraNodes, more.clusterEnv);
      let runs = 1;
      const handle: ClusterHandle = {
        clusterName: extraName,
        cluster: launched.cluster,
        nodes: launched.nodes,
        ready: () => readyFor(extraName, extraNodes.length),
        restart: async () => {
          runs += 1;
          const again = await launchCluster(suffix, extraName, extraNodes, more.clusterEnv, launched.ports, runs);
          handle.cluster = again.cluster;
          handle.nodes = again.nodes;
          await handle.ready();
        },
      };
      await handle.ready();
      return handle;
    },
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
    const main = await launchCluster('', clusterName, nodes, options.clusterEnv);
    stack.nodeProcesses.push(...main.nodes);
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
