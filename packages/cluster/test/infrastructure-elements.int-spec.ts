import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import {
  IE_STATUS_READY,
  IE_STATUS_UNAVAILABLE,
  InfrastructureElementDto,
  validateInput,
  type InfrastructureElement,
  type NodeRegisterResponse,
} from '@canopy/schema';
import pino from 'pino';
import { startCluster, type ClusterConfigInit, type ClusterHandle } from '../src';
import { NodeClient, register } from './support/node-client';
import { RootPeer } from './support/root-peer';
import { freePort, waitFor } from '@canopy/testing';

const CLUSTER_TOKEN = 'ie-cluster-secret-token';
const CONFIGURED_ID = 'urn:ngsi-ld:InfrastructureElement:CloudFerro:2473d6a5a43b';
jest.setTimeout(30_000);

/**
 * The cluster reports each registered node as an aerOS Infrastructure Element to the root, over
 * the real Socket.IO link, built from real registrations over HTTP and heartbeats over MQTT.
 */
describe('cluster → root infrastructure elements (real HTTP, MQTT, Socket.IO, SQLite)', () => {
  let dataDir: string;
  let root: RootPeer;
  let cluster: ClusterHandle | undefined;
  let config: ClusterConfigInit;
  const clients: NodeClient[] = [];

  /** The IEs in the newest report that satisfies `ok`, from either the sync or the resources event. */
  const reported = (ok: (ies: InfrastructureElement[]) => boolean): Promise<InfrastructureElement[]> =>
    waitFor(
      'a report of infrastructure elements',
      () => {
        const latest = [...root.resources, ...root.syncs.map((s) => s.resources)]
          .map((r) => r.infrastructureElements)
          .filter((x): x is InfrastructureElement[] => x !== undefined)
          .reverse()
          .find(ok);
        return latest;
      },
      10_000,
    );
  const byName = (ies: InfrastructureElement[], name: string) => ies.find((ie) => ie.hostname === name);

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'canopy-cluster-ie-'));
    root = new RootPeer(await freePort(), CLUSTER_TOKEN);
    await root.start();
    config = {
      rootUrl: `http://127.0.0.1:${root.port}`,
      clusterToken: CLUSTER_TOKEN,
      clusterName: 'ie-cluster',
      clusterDomain: 'edge-domain',
      clusterLocation: '48.26,11.67',
      port: 0,
      host: '127.0.0.1',
      mqttPort: 0,
      dataDir,
      nodeLivenessMs: 1000,
      syncIntervalMs: 1000,
      resourcesIntervalMs: 300,
    };
    cluster = await startCluster(config, pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }));
    await waitFor('the cluster to reach the root', () => root.syncs.length > 0);
  });

  afterAll(async () => {
    for (const c of clients) {
      await c.close().catch(() => undefined);
    }
    await cluster?.stop();
    await root?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** worker-b's own credential, to register its name again after the upgrade. */
  let workerBCredential = '';

  it('reports two registered nodes with their aerOS attributes, Ready while they beat', async () => {
    const a = await register(cluster!.port, cluster!.nodeToken, {
      name: 'worker-a',
      arch: 'arm64',
      cpuCores: 4,
      memoryMb: 4096,
      publicIp: '10.0.0.5',
      location: '40.4,-3.7',
      labels: { realtime: 'true' },
    });
    const b = await register(cluster!.port, cluster!.nodeToken, {
      name: 'worker-b',
      arch: 'amd64',
      cpuCores: 2,
      memoryMb: 2048,
      ieId: CONFIGURED_ID,
    });
    expect([a.status, b.status]).toEqual([200, 200]);
    workerBCredential = String(b.json.credential);
    const nodeA = await NodeClient.connect(cluster!.mqttPort, a.json as unknown as NodeRegisterResponse);
    const nodeB = await NodeClient.connect(cluster!.mqttPort, b.json as unknown as NodeRegisterResponse);
    clients.push(nodeA, nodeB);
    nodeA.startHeartbeats(200, { cpuCores: 4, cpuPercent: 12.6, memoryTotalMb: 4000, memoryFreeMb: 1000 });
    nodeB.startHeartbeats(200, { cpuCores: 2, cpuPercent: 50, memoryTotalMb: 2000, memoryFreeMb: 1500 });

    const ies = await reported(
      (list) => list.length === 2 && list.every((ie) => ie.infrastructureElementStatus === IE_STATUS_READY),
    );
    expect(byName(ies, 'worker-a')).toEqual({
      id: 'urn:ngsi-ld:InfrastructureElement:edge-domain:worker-a',
      type: 'InfrastructureElement',
      hostname: 'worker-a',
      nodeId: (a.json as { id: string }).id,
      domain: 'urn:ngsi-ld:Domain:edge-domain',
      containerTechnology: 'Docker',
      cpuCores: 4,
      currentCpuUsage: 13,
      ramCapacity: 4000,
      availableRam: 1000,
      currentRamUsage: 3000,
      currentRamUsagePct: 75,
      cpuArchitecture: 'urn:ngsi-ld:CpuArchitecture:arm64',
      operatingSystem: 'urn:ngsi-ld:OperatingSystem:Linux',
      realTimeCapable: true,
      infrastructureElementStatus: IE_STATUS_READY,
      location: { type: 'Point', coordinates: [-3.7, 40.4] },
      internalIpAddress: '10.0.0.5',
    });
    // No location of its own: the cluster's; no address: none claimed.
    expect(byName(ies, 'worker-b')).toEqual(
      expect.objectContaining({
        id: CONFIGURED_ID,
        cpuArchitecture: 'urn:ngsi-ld:CpuArchitecture:x64',
        realTimeCapable: false,
        currentCpuUsage: 50,
        location: { type: 'Point', coordinates: [11.67, 48.26] },
      }),
    );
    expect(byName(ies, 'worker-b')).not.toHaveProperty('internalIpAddress');
    // What the cluster sends is exactly what the root's validation lets through.
    for (const ie of ies) {
      expect(validateInput(InfrastructureElementDto, ie)).toEqual({ ok: true, value: ie });
    }
  });

  it('refuses a second node claiming an IE id that is taken, naming ieId', async () => {
    const res = await register(cluster!.port, cluster!.nodeToken, {
      name: 'worker-c',
      arch: 'amd64',
      cpuCores: 1,
      memoryMb: 512,
      ieId: CONFIGURED_ID,
    });
    expect(res.status).toBe(409);
    expect(res.json).toEqual(
      expect.objectContaining({
        code: 'IE_ID_TAKEN',
        errors: [{ path: 'ieId', message: `IE id ${CONFIGURED_ID} is already used by node worker-b` }],
      }),
    );
    // A configured id that spells another node's derived one is taken just the same.
    const derived = await register(cluster!.port, cluster!.nodeToken, {
      name: 'worker-d',
      arch: 'amd64',
      cpuCores: 1,
      memoryMb: 512,
      ieId: 'urn:ngsi-ld:InfrastructureElement:edge-domain:worker-a',
    });
    expect(derived.status).toBe(409);
    expect((derived.json.errors as { path: string }[]).map((e) => e.path)).toEqual(['ieId']);
    const bad = await register(cluster!.port, cluster!.nodeToken, {
      name: 'worker-c',
      arch: 'amd64',
      cpuCores: 1,
      memoryMb: 512,
      ieId: 'not a urn',
    });
    expect(bad.status).toBe(400);
    expect((bad.json.errors as { path: string }[]).map((e) => e.path)).toEqual(['ieId']);
  });

  it('turns a silent node Unavailable and keeps listing it', async () => {
    const silent = clients[0]!;
    // Earlier reports (from before the first heartbeats) also show it not Ready: only later ones count.
    root.syncs.length = 0;
    root.resources.length = 0;
    await silent.close();
    const ies = await reported(
      (list) => byName(list, 'worker-a')?.infrastructureElementStatus === IE_STATUS_UNAVAILABLE,
    );
    expect(ies.map((ie) => ie.hostname).sort()).toEqual(['worker-a', 'worker-b']);
    expect(byName(ies, 'worker-b')?.infrastructureElementStatus).toBe(IE_STATUS_READY);
  });

  it('upgrades a database from before IEs, and keeps a configured IE id across a restart', async () => {
    const restart = async (): Promise<ClusterHandle> => {
      await cluster?.stop();
      cluster = undefined;
      // Only what the restarted cluster says counts from here on.
      root.syncs.length = 0;
      root.resources.length = 0;
      cluster = await startCluster(config, pino({ level: 'silent' }));
      return cluster;
    };
    await cluster!.stop();
    cluster = undefined;
    // The table as a release before IEs created it.
    const db = new Database(join(dataDir, 'cluster.db'));
    db.exec('ALTER TABLE nodes DROP COLUMN ie_id');
    db.close();

    const upgraded = await restart();
    const before = await reported((list) => list.length === 2);
    // The old file had no configured id, so the derived one stands in.
    expect(byName(before, 'worker-b')?.id).toBe('urn:ngsi-ld:InfrastructureElement:edge-domain:worker-b');

    // Re-registering a known name takes that node's credential, not the join token.
    const again = await register(upgraded.port, workerBCredential, {
      name: 'worker-b',
      arch: 'amd64',
      cpuCores: 2,
      memoryMb: 2048,
      ieId: CONFIGURED_ID,
    });
    expect(again.status).toBe(200);
    await reported((list) => byName(list, 'worker-b')?.id === CONFIGURED_ID);

    await restart();
    const after = await reported((list) => list.length === 2);
    expect(byName(after, 'worker-b')?.id).toBe(CONFIGURED_ID);
    expect(byName(after, 'worker-a')?.id).toBe('urn:ngsi-ld:InfrastructureElement:edge-domain:worker-a');

    // The other way round: a newcomer whose derived id another node already configured is refused by name.
    const body = { arch: 'amd64', cpuCores: 1, memoryMb: 512 };
    const claims = await register(cluster!.port, cluster!.nodeToken, {
      ...body,
      name: 'worker-f',
      ieId: 'urn:ngsi-ld:InfrastructureElement:edge-domain:worker-e',
    });
    expect(claims.status).toBe(200);
    const late = await register(cluster!.port, cluster!.nodeToken, { ...body, name: 'worker-e' });
    expect(late.status).toBe(409);
    expect((late.json.errors as { path: string }[]).map((e) => e.path)).toEqual(['name']);
  });
});
