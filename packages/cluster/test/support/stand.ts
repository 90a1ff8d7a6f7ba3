import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino, { type Logger } from 'pino';
import { freePort, waitFor } from '@canopy/testing';
import { startCluster, type ClusterConfigInit, type ClusterHandle } from '../../src';
import type { NodeClient } from './node-client';
import { RootPeer } from './root-peer';

/**
 * One cluster under test, its stand-in root and the node clients a test connected: a fresh SQLite
 * directory and fresh loopback ports each time, so no test depends on another's state.
 */
export interface Stand {
  dataDir: string;
  root: RootPeer;
  cluster: ClusterHandle;
  config: ClusterConfigInit;
  clients: NodeClient[];
}

export interface StandOptions {
  /** The cluster token the stand-in root accepts. */
  token: string;
  /** What the test is about; the rest are the defaults below (liveness 1.5 s, sync every second). */
  config?: Partial<ClusterConfigInit>;
  log?: Logger;
}

/** Starts the stand-in root, then the cluster, and waits until the cluster has synced with the root. */
export async function startStand({ token, config = {}, log }: StandOptions): Promise<Stand> {
  const dataDir = config.dataDir ?? mkdtempSync(join(tmpdir(), 'canopy-cluster-'));
  const root = new RootPeer(await freePort(), token);
  await root.start();
  const full: ClusterConfigInit = {
    rootUrl: `http://127.0.0.1:${root.port}`,
    clusterToken: token,
    clusterName: 'test-cluster',
    port: 0,
    host: '127.0.0.1',
    mqttPort: 0,
    dataDir,
    nodeLivenessMs: 1500,
    syncIntervalMs: 1000,
    ...config,
  };
  const cluster = await startCluster(full, log ?? pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }));
  await waitFor('the cluster to reach the root', () => root.syncs.length > 0);
  return { dataDir, root, cluster, config: full, clients: [] };
}

/** Closes the node clients, stops the cluster and the root, and removes the data directory. */
export async function stopStand(stand: Stand | undefined): Promise<void> {
  if (stand === undefined) {
    return;
  }
  for (const c of stand.clients) {
    await c.close().catch(() => undefined);
  }
  await stand.cluster.stop();
  await stand.root.stop();
  rmSync(stand.dataDir, { recursive: true, force: true });
}
