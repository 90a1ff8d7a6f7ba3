import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pino from 'pino';
import type { NodeRegisterResponse } from '@canopy/schema';
import { waitFor } from '@canopy/testing';
import { startCluster, type ClusterHandle } from '../src';
import { NodeClient, register } from './support/node-client';
import { startStand, stopStand, type Stand } from './support/stand';

const NODE = { name: 'legacy', arch: 'amd64', cpuCores: 2, memoryMb: 2048 };
const LIVENESS_MS = 3000;
jest.setTimeout(40_000);

/**
 * A node registered before per-node credentials existed has none on record. A join token may give
 * it one, but never while the node is live: otherwise a join token holder racing it would get its
 * id, a fresh broker login (the real one's void) and its control/sync with every spec.
 */
describe('a legacy node (no credential on record) and the join token', () => {
  let stand: Stand | undefined;
  let cluster: ClusterHandle;
  let legacy: NodeRegisterResponse;
  const clients: NodeClient[] = [];

  beforeAll(async () => {
    const dataDir = join(mkdtempSync(join(tmpdir(), 'canopy-legacy-node-')), 'data');
    stand = await startStand({
      token: 'legacy-cluster-token',
      config: { clusterName: 'legacy-cluster', dataDir, registerRateLimit: 1000, nodeLivenessMs: LIVENESS_MS },
    });
    legacy = (await register(stand.cluster.port, stand.cluster.nodeToken, NODE))
      .json as unknown as NodeRegisterResponse;
    // Back to what a cluster from before credentials stored: the same row, credential column empty.
    await stand.cluster.stop();
    const db = new Database(join(dataDir, 'cluster.db'));
    db.prepare('UPDATE nodes SET credential_sha256 = NULL WHERE name = ?').run(NODE.name);
    db.close();
    const config = { ...stand.config, port: stand.cluster.port, mqttPort: stand.cluster.mqttPort };
    cluster = await startCluster(config, pino({ level: 'silent' }));
    stand.cluster = cluster;
  });

  afterAll(async () => {
    for (const c of clients) {
      await c.close().catch(() => undefined);
    }
    if (stand !== undefined) {
      rmSync(join(stand.dataDir, '..'), { recursive: true, force: true });
    }
    await stopStand(stand);
  });

  it('refuses a join token while the legacy node is connected: 409 NODE_CONNECTED, and it keeps its login', async () => {
    const real = await NodeClient.connect(cluster.mqttPort, legacy, { clientId: 'engine' });
    clients.push(real);
    await real.subscribeControl();
    await real.heartbeat();
    await waitFor('control/sync on the legacy node', () => real.on('control/sync')[0]);

    const race = await register(cluster.port, cluster.nodeToken, { ...NODE, cpuCores: 64 });
    expect(race.status).toBe(409);
    expect(race.json).toMatchObject({ code: 'NODE_CONNECTED', errors: [{ path: 'name' }] });
    expect(race.json).not.toHaveProperty('mqtt');
    // Its password was not replaced: a second login with it still works.
    clients.push(await NodeClient.connect(cluster.mqttPort, legacy, { clientId: 'second' }));
    expect(real.client.connected).toBe(true);
  });

  it('refuses it still while the node is heard from, even with no connection open (an external broker sees only that)', async () => {
    for (const c of clients.splice(0)) {
      await c.close();
    }
    // Disconnected, but its last heartbeat is younger than NODE_LIVENESS_MS.
    const race = await register(cluster.port, cluster.nodeToken, NODE);
    expect(race.json).toMatchObject({ code: 'NODE_CONNECTED' });
  });

  it('lets the join token give the node its credential once it is gone; same id, then never again', async () => {
    // Polled: refused until the liveness window has passed, then admitted.
    const res = await waitFor(
      'the join token to be admitted once the node is gone',
      async () => {
        const attempt = await register(cluster.port, cluster.nodeToken, NODE);
        return attempt.json.code === 'NODE_CONNECTED' ? undefined : attempt;
      },
      4 * LIVENESS_MS,
    );
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ id: legacy.id, credential: expect.any(String) });
    // From now on the name is a credentialed one: the join token no longer gets in.
    const again = await register(cluster.port, cluster.nodeToken, NODE);
    expect(again.json).toMatchObject({ code: 'NODE_NAME_TAKEN' });
    const own = await register(cluster.port, res.json.credential as string, NODE);
    expect(own.json).toMatchObject({ id: legacy.id });
  });

  it('ends the broker session and login of whoever holds a name the operator resets; the join token then works', async () => {
    const reg = (await register(cluster.port, cluster.nodeToken, { ...NODE, name: 'reset-live' }))
      .json as unknown as NodeRegisterResponse;
    const holder = await NodeClient.connect(cluster.mqttPort, reg);
    clients.push(holder);
    const gone = new Promise<void>((resolve) => holder.client.once('close', () => resolve()));
    const reset = await fetch(`http://127.0.0.1:${cluster.port}/api/nodes/reset-live/credential`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${cluster.adminToken}` },
    });
    expect(reset.status).toBe(204);
    await gone;
    await expect(NodeClient.connect(cluster.mqttPort, reg)).rejects.toThrow(/Bad username or password/);
    const claimed = await register(cluster.port, cluster.nodeToken, { ...NODE, name: 'reset-live' });
    expect(claimed.json).toMatchObject({ id: reg.id, credential: expect.any(String) });
  });
});
