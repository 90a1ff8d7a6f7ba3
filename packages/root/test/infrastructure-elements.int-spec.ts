import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import type { Socket } from 'socket.io-client';
import {
  IE_STATUS_READY,
  IE_STATUS_UNAVAILABLE,
  MAX_INFRASTRUCTURE_ELEMENTS_PER_CLUSTER,
  buildInfrastructureElement,
  type InfrastructureElement,
} from '@canopy/schema';
import { ClustersService, type ClusterChannel } from '../src/clusters/clusters.service';
import { systemClock } from '../src/common/tokens';
import { loadRootConfig } from '../src/config/root-config';
import { SqliteStore } from '../src/persistence/sqlite.store';
import type { RootHandle } from '../src/root.bootstrap';
import { dialCluster } from './support/fake-cluster';
import { startHttpRoot, type TestRoot } from './support/http-root';
import { waitFor } from '@canopy/testing';

const CLUSTER_TOKEN = 'ie-root-test-cluster-token-01';

const resources = {
  nodes: 2,
  activeNodes: 2,
  cpuMillisTotal: 6000,
  cpuMillisFree: 6000,
  memoryMbTotal: 6144,
  memoryMbFree: 6144,
  gpusFree: 0,
  largestNodeFree: { cpuMillis: 4000, memoryMb: 4096, gpus: 0 },
  architectures: ['amd64', 'arm64'],
};

function ie(domain: string, name: string, over: { ieId?: string; cpuPercent?: number } = {}): InfrastructureElement {
  return buildInfrastructureElement(
    { id: `id-${name}`, name, arch: 'amd64', cpuCores: 4, memoryMb: 4096, labels: {}, ieId: over.ieId },
    { active: true, info: { cpuCores: 4, cpuPercent: over.cpuPercent ?? 10, memoryTotalMb: 4096, memoryFreeMb: 1024 } },
    { domain },
  );
}

/**
 * The root's side of IEs: what clusters report over the real Socket.IO link is validated, kept per
 * cluster and served at `GET /api/infrastructure-elements`, over real HTTP.
 */
describe('infrastructure elements at the root (real Socket.IO and HTTP)', () => {
  jest.setTimeout(60_000);
  let testRoot: TestRoot;
  let root: RootHandle;
  let token = '';
  const sockets: Socket[] = [];

  async function connect(name: string): Promise<Socket> {
    const socket = await dialCluster(root.url, CLUSTER_TOKEN, name);
    sockets.push(socket);
    return socket;
  }

  async function get(path: string): Promise<{ status: number; body: any }> {
    const res = await fetch(`${root.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
    return { status: res.status, body: await res.json() };
  }

  beforeAll(async () => {
    testRoot = await startHttpRoot({ CANOPY_CLUSTER_TOKEN: CLUSTER_TOKEN, CANOPY_ALLOW_SHARED_CLUSTER_TOKEN: 'true' });
    root = testRoot.root;
    token = (await testRoot.login('Admin', testRoot.adminPassword)).token;
  });

  afterAll(async () => {
    for (const s of sockets) {
      s.close();
    }
    await testRoot.stop();
  });

  it('lists nothing for a cluster that predates IEs, which keeps working', async () => {
    const old = await connect('old-cluster');
    const reply = await old.timeout(5000).emitWithAck('cluster:sync', { resources, instances: [] });
    expect(reply).toEqual({ clusterId: expect.any(String), desired: [] });
    expect(await get('/api/infrastructure-elements')).toEqual({ status: 200, body: [] });
  });

  it("lists a cluster's IEs with the cluster they belong to, and keeps them out of the cluster summary", async () => {
    const socket = await connect('edge-a');
    const ies = [ie('edge-a', 'w1'), ie('edge-a', 'w2', { ieId: 'urn:ngsi-ld:IE:CloudFerro:2473d6a5a43b' })];
    const reply = await socket
      .timeout(5000)
      .emitWithAck('cluster:sync', { resources: { ...resources, infrastructureElements: ies }, instances: [] });
    const clusterId = (reply as { clusterId: string }).clusterId;
    const listed = await get('/api/infrastructure-elements');
    expect(listed.status).toBe(200);
    expect(listed.body).toEqual(ies.map((x) => ({ ...x, clusterId, clusterName: 'edge-a' })));
    const summary = (await get('/api/clusters')).body.find((c: any) => c.cluster_name === 'edge-a');
    expect(summary.resources).toEqual(resources);
  });

  it('serves one IE by id, in either spelling of the prefix, and 404s an unknown id by name', async () => {
    const one = await get(
      `/api/infrastructure-elements/${encodeURIComponent('urn:ngsi-ld:InfrastructureElement:edge-a:w1')}`,
    );
    expect(one).toEqual({ status: 200, body: expect.objectContaining({ hostname: 'w1', clusterName: 'edge-a' }) });
    const short = await get('/api/infrastructure-elements/urn:ngsi-ld:IE:edge-a:w1');
    expect(short.body).toEqual(one.body);
    const long = await get('/api/infrastructure-elements/urn:ngsi-ld:InfrastructureElement:CloudFerro:2473d6a5a43b');
    expect(long.body).toEqual(
      expect.objectContaining({ hostname: 'w2', id: 'urn:ngsi-ld:IE:CloudFerro:2473d6a5a43b' }),
    );
    const missing = await get('/api/infrastructure-elements/urn:ngsi-ld:InfrastructureElement:edge-a:nope');
    expect(missing).toEqual({
      status: 404,
      body: {
        statusCode: 404,
        code: 'NOT_FOUND',
        message: 'infrastructure element urn:ngsi-ld:InfrastructureElement:edge-a:nope not found',
        errors: [],
      },
    });
    // A hostname is not an id: the route names ids only.
    expect((await get('/api/infrastructure-elements/w1')).status).toBe(404);
  });

  it('follows the periodic resources event', async () => {
    const socket = sockets[1]!;
    socket.emit('cluster:resources', {
      ...resources,
      infrastructureElements: [ie('edge-a', 'w1', { cpuPercent: 77 }), ie('edge-a', 'w2')],
    });
    const w1 = await waitFor('the new CPU usage', async () => {
      const found = (await get('/api/infrastructure-elements')).body.find((x: any) => x.hostname === 'w1');
      return found?.currentCpuUsage === 77 ? found : undefined;
    });
    expect(w1.infrastructureElementStatus).toBe(IE_STATUS_READY);
  });

  it('refuses a bad IE naming its field, and an over-long list, and keeps the last good list', async () => {
    const socket = sockets[1]!;
    const bad = await socket.timeout(5000).emitWithAck('cluster:sync', {
      resources: { ...resources, infrastructureElements: [{ ...ie('edge-a', 'w1'), currentCpuUsage: 250 }] },
      instances: [],
    });
    expect(bad).toEqual({
      ok: false,
      error: expect.stringContaining('resources.infrastructureElements[0].currentCpuUsage'),
    });
    const many = Array.from({ length: MAX_INFRASTRUCTURE_ELEMENTS_PER_CLUSTER + 1 }, (_, i) => ie('edge-a', `n${i}`));
    const tooMany = await socket
      .timeout(5000)
      .emitWithAck('cluster:sync', { resources: { ...resources, infrastructureElements: many }, instances: [] });
    expect(tooMany).toEqual({ ok: false, error: expect.stringContaining('resources.infrastructureElements:') });
    const hosts = (await get('/api/infrastructure-elements')).body.map((x: any) => x.hostname);
    expect(hosts).toEqual(['w1', 'w2']);
  });

  it("reads a disconnected cluster's IEs as Unavailable", async () => {
    sockets[1]!.close();
    const statuses = await waitFor('edge-a to go', async () => {
      const list = (await get('/api/infrastructure-elements')).body as any[];
      const s = list.map((x) => x.infrastructureElementStatus);
      return s.length === 2 && s.every((x) => x === IE_STATUS_UNAVAILABLE) ? s : undefined;
    });
    expect(statuses).toHaveLength(2);
  });

  it('answers without a token with 401', async () => {
    const res = await fetch(`${root.url}/api/infrastructure-elements`);
    expect(res.status).toBe(401);
  });
});

/** `resolveInfrastructureElement`, what the aerOS components service pins CRs with, over a real store. */
describe('ClustersService.resolveInfrastructureElement (real SQLite store)', () => {
  let dir: string;
  let store: SqliteStore;
  let clusters: ClustersService;
  const channel = (id: string): ClusterChannel => ({
    connectionId: id,
    deploy: () => Promise.resolve({ ok: true }),
    delete: () => Promise.resolve({ ok: true }),
    logs: () => Promise.resolve({ ok: true, lines: [] }),
  });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'canopy-root-ie-resolve-'));
    store = new SqliteStore(dir);
    const config = loadRootConfig({ ROOT_DATA_DIR: dir, CANOPY_ADMIN_PASSWORD: 'unused-password' });
    clusters = new ClustersService(store, config, pino({ level: 'silent' }), systemClock);
    const a = await clusters.attach('alpha', undefined, channel('a'));
    const b = await clusters.attach('beta', undefined, channel('b'));
    clusters.setResources(a.id, { ...resources, infrastructureElements: [ie('alpha', 'w1'), ie('alpha', 'shared')] });
    clusters.setResources(b.id, {
      ...resources,
      infrastructureElements: [ie('beta', 'pi', { ieId: 'urn:ngsi-ld:IE:beta:pi' }), ie('beta', 'shared')],
    });
  });

  afterAll(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const pinned = async (ref: Parameters<ClustersService['resolveInfrastructureElement']>[0]) => {
    const r = await clusters.resolveInfrastructureElement(ref);
    return r.ok ? `${r.ie.clusterName}/${r.ie.hostname}` : r.message;
  };

  it('pins by id, by the IE twin spelling, by hostname, and by {id, hostname}', async () => {
    expect(await pinned('urn:ngsi-ld:InfrastructureElement:alpha:w1')).toBe('alpha/w1');
    expect(await pinned('urn:ngsi-ld:IE:alpha:w1')).toBe('alpha/w1');
    expect(await pinned('urn:ngsi-ld:InfrastructureElement:beta:pi')).toBe('beta/pi');
    expect(await pinned('pi')).toBe('beta/pi');
    expect(await pinned({ id: 'urn:ngsi-ld:IE:nope', hostname: 'w1' })).toBe('alpha/w1');
    expect(await pinned({ id: 'urn:ngsi-ld:IE:beta:shared', hostname: 'w1' })).toBe('beta/shared');
  });

  it('refuses a hostname two clusters share, and names what it cannot find', async () => {
    expect(await pinned('shared')).toBe('2 infrastructure elements have hostname shared; name one by its id');
    expect(await pinned('ghost')).toBe('no infrastructure element has id or hostname ghost');
  });

  it('answers one id by id only: unknown is NOT_FOUND, reported by two clusters is IE_AMBIGUOUS', async () => {
    await expect(clusters.infrastructureElement('urn:ngsi-ld:IE:alpha:w1')).resolves.toMatchObject({
      clusterName: 'alpha',
      hostname: 'w1',
    });
    await expect(clusters.infrastructureElement('w1')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    const gamma = await clusters.attach('gamma', undefined, channel('g'));
    const w1Id = 'urn:ngsi-ld:InfrastructureElement:alpha:w1';
    clusters.setResources(gamma.id, { ...resources, infrastructureElements: [ie('gamma', 'copy', { ieId: w1Id })] });
    await expect(clusters.infrastructureElement(w1Id)).rejects.toMatchObject({
      code: 'IE_AMBIGUOUS',
      errors: [{ path: 'id', message: expect.stringContaining('2 infrastructure elements have id') }],
    });
  });
});
