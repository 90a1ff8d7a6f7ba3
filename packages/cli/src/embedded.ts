import { join, resolve } from 'node:path';
import type { Logger } from 'pino';
import { loadClusterConfig, startCluster, type ClusterHandle } from '@canopy/cluster';
import { loadNodeEngineConfig, startNodeEngine, type NodeEngineHandle } from '@canopy/node-engine';
import { loadRootConfig, startRoot, type RootHandle } from '@canopy/root';

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
  const root = await startRoot(loadRootConfig({ ROOT_DATA_DIR: join(dataDir, 'root'), ...env }), log);
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
