import { join, resolve } from 'node:path';
import type { Logger } from 'pino';
import { loadClusterConfig, startCluster, type ClusterHandle } from '@canopy/cluster';
import { loadNodeEngineConfig, startNodeEngine, type NodeEngineHandle } from '@canopy/node-engine';
import { loadRootConfig, startRoot, type RootHandle } from '@canopy/root';

/** Loopback only: the machine the embedded stack runs on. */
export const EMBEDDED_TRUSTED = '127.0.0.1/32,::1/128';

export interface EmbeddedOptions {
  dataDir: string;
  env: NodeJS.ProcessEnv;
}

export interface EmbeddedHandle {
  root: RootHandle;
  cluster: ClusterHandle;
  node: NodeEngineHandle;
  stop(): Promise<void>;
}

/**
 * Root + one cluster + one node engine in one process (SPEC §7): SQLite under the data directory,
 * the cluster's in-process MQTT broker, the local Docker engine. Each tier still talks to the
 * next over its real wire (Socket.IO, HTTP, MQTT on loopback), so embedded mode exercises the
 * same code paths as a distributed install. Environment variables of each tier still apply;
 * only the wiring between them is set here.
 */
export async function startEmbedded(options: EmbeddedOptions, log: Logger): Promise<EmbeddedHandle> {
  const dataDir = resolve(options.dataDir);
  const env = options.env;
  const root = await startRoot(
    // kubectl never sends a token over plain HTTP (client-go reads credentials only for TLS
    // servers), so aerOS's `kubectl --server http://…/k8s apply` could not work on one machine;
    // in embedded mode, requests from this machine itself act as the aerOS service account on the
    // aerOS routes only. AEROS_TRUSTED_NETWORKS (empty to turn it off) overrides this.
    // The one cluster here dials in with the root's shared cluster token: embedded mode opts in to it.
    loadRootConfig({
      ROOT_DATA_DIR: join(dataDir, 'root'),
      AEROS_TRUSTED_NETWORKS: EMBEDDED_TRUSTED,
      CANOPY_ALLOW_SHARED_CLUSTER_TOKEN: 'true',
      ...env,
    }),
    log,
  );
  let cluster: ClusterHandle | undefined;
  try {
    cluster = await startCluster(
      loadClusterConfig({
        CLUSTER_NAME: 'local',
        CLUSTER_DATA_DIR: join(dataDir, 'cluster'),
        ...env,
        ROOT_URL: root.url,
        CLUSTER_TOKEN: root.clusterToken,
      }),
      log,
    );
    const node = await startNodeEngine(
      loadNodeEngineConfig({
        NODE_DATA_DIR: join(dataDir, 'node'),
        ...env,
        CLUSTER_URL: `http://127.0.0.1:${cluster.port}`,
        NODE_TOKEN: cluster.nodeToken,
      }),
      log,
    );
    const started = cluster;
    return {
      root,
      cluster: started,
      node,
      stop: async () => {
        await node.stop();
        await started.stop();
        await root.stop();
      },
    };
  } catch (error) {
    await cluster?.stop();
    await root.stop();
    throw error;
  }
}
