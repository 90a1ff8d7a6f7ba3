import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { io, type Socket } from 'socket.io-client';
import type { RootHandle } from '../src/root.bootstrap';
import { ONE_NODE_RESOURCES } from './support/fake-cluster';
import { bootRoot } from './support/http-root';

const SHARED = 'identity-shared-cluster-token-01';
const resources = ONE_NODE_RESOURCES;

interface Stand {
  root: RootHandle;
  dir: string;
  sockets: Socket[];
  admin: string;
}

async function startStand(env: Record<string, string>): Promise<Stand> {
  const dir = mkdtempSync(join(tmpdir(), 'canopy-cluster-identity-'));
  const root = await bootRoot(dir, {
    CANOPY_ADMIN_PASSWORD: 'identity-admin-pw',
    CANOPY_CLUSTER_TOKEN: SHARED,
    LOGIN_RATE_LIMIT: '1000',
    ...env,
  });
  const login = await fetch(`${root.url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'Admin', password: 'identity-admin-pw' }),
  });
  return { root, dir, sockets: [], admin: ((await login.json()) as { token: string }).token };
}

async function stopStand(stand: Stand | undefined): Promise<void> {
  for (const s of stand?.sockets ?? []) {
    s.close();
  }
  await stand?.root.stop();
  if (stand) {
    rmSync(stand.dir, { recursive: true, force: true });
  }
}

function dial(stand: Stand, token: string, name: string): Socket {
  const socket = io(`${stand.root.url}/clusters`, {
    auth: { token, name },
    reconnection: false,
    transports: ['websocket'],
  });
  stand.sockets.push(socket);
  return socket;
}

/** 'connected', or the server's reason for refusing. */
function outcome(socket: Socket): Promise<string> {
  return new Promise((resolve) => {
    socket.once('connect', () => resolve('connected'));
    socket.once('connect_error', (e) => resolve(e.message));
  });
}

async function api(stand: Stand, method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(`${stand.root.url}${path}`, {
    method,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${stand.admin}` },
    body: body === undefined ? null : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : undefined };
}

async function activeNames(stand: Stand): Promise<string[]> {
  const list = (await api(stand, 'GET', '/api/clusters')).json as { cluster_name: string; active: boolean }[];
  return list.filter((c) => c.active).map((c) => c.cluster_name);
}

/** A connected socket that answers sync, proving its channel still works. */
async function syncs(socket: Socket): Promise<unknown> {
  return socket.timeout(5000).emitWithAck('cluster:sync', { resources, instances: [] });
}

/** SPEC §9 cluster identity over real HTTP and Socket.IO. */
describe('cluster identity at the root (registered credentials)', () => {
  jest.setTimeout(60_000);
  let stand: Stand;

  beforeAll(async () => {
    stand = await startStand({});
  });
  afterAll(() => stopStand(stand));

  it('refuses the shared cluster token unless the operator opted in', async () => {
    expect(await outcome(dial(stand, SHARED, 'edge-shared'))).toMatch(/CANOPY_ALLOW_SHARED_CLUSTER_TOKEN/);
    expect(await activeNames(stand)).toEqual([]);
  });

  it('admits a registered cluster with its credential, under its own name only', async () => {
    const reg = await api(stand, 'POST', '/api/clusters', { name: 'edge-a', location: '48.1,11.6' });
    expect(reg.status).toBe(201);
    expect(reg.json).toEqual({ id: expect.any(String), cluster_name: 'edge-a', credential: expect.any(String) });
    const credential = reg.json.credential as string;
    expect((await api(stand, 'POST', '/api/clusters', { name: 'edge-a' })).json).toMatchObject({
      code: 'CLUSTER_NAME_TAKEN',
      errors: [{ path: 'name' }],
    });
    expect((await api(stand, 'POST', '/api/clusters', { name: '../x' })).json).toMatchObject({
      code: 'VALIDATION_FAILED',
      errors: [{ path: 'name' }],
    });

    expect(await outcome(dial(stand, credential, 'edge-b'))).toBe('unauthorized');
    expect(await outcome(dial(stand, SHARED, 'edge-a'))).toMatch(/own credential/);
    const real = dial(stand, credential, 'edge-a');
    expect(await outcome(real)).toBe('connected');
    expect(await syncs(real)).toEqual({ clusterId: reg.json.id, desired: [] });
    // The list never shows a credential or its digest.
    expect(JSON.stringify((await api(stand, 'GET', '/api/clusters')).json)).not.toMatch(/credential/i);
  });

  it('never lets a second connection displace a live cluster, and admits it again once it left', async () => {
    const { json } = await api(stand, 'POST', '/api/clusters', { name: 'edge-live' });
    const real = dial(stand, json.credential, 'edge-live');
    expect(await outcome(real)).toBe('connected');
    await syncs(real);

    const impostor = dial(stand, json.credential, 'edge-live');
    expect(await outcome(impostor)).toMatch(/already connected/);
    expect(await syncs(real)).toEqual({ clusterId: json.id, desired: [] });
    expect(await activeNames(stand)).toContain('edge-live');

    real.close();
    // Once the root has seen it go (polled over HTTP, no fixed sleep), the credential admits it again.
    const deadline = Date.now() + 10_000;
    while ((await activeNames(stand)).includes('edge-live') && Date.now() < deadline) {
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(await outcome(dial(stand, json.credential, 'edge-live'))).toBe('connected');
  });

  it('rotates a credential: the old one stops admitting, the new one works', async () => {
    const { json } = await api(stand, 'POST', '/api/clusters', { name: 'edge-rot' });
    const rotated = await api(stand, 'POST', `/api/clusters/${json.id}/credential`);
    expect(rotated.status).toBe(200);
    expect(rotated.json.credential).not.toBe(json.credential);
    expect(await outcome(dial(stand, json.credential, 'edge-rot'))).toBe('unauthorized');
    expect(await outcome(dial(stand, rotated.json.credential, 'edge-rot'))).toBe('connected');
    expect((await api(stand, 'POST', '/api/clusters/no-such-id/credential')).status).toBe(404);
  });
});

describe('cluster identity at the root (shared token, opted in)', () => {
  jest.setTimeout(60_000);
  let stand: Stand;

  beforeAll(async () => {
    stand = await startStand({ CANOPY_ALLOW_SHARED_CLUSTER_TOKEN: 'true' });
  });
  afterAll(() => stopStand(stand));

  it('refuses a second socket claiming a live cluster name; the real cluster stays active and served', async () => {
    const real = dial(stand, SHARED, 'edge-1');
    expect(await outcome(real)).toBe('connected');
    const first = (await syncs(real)) as { clusterId: string };

    const impostor = dial(stand, SHARED, 'edge-1');
    expect(await outcome(impostor)).toMatch(/already connected/);
    expect(await syncs(real)).toEqual({ clusterId: first.clusterId, desired: [] });
    expect(await activeNames(stand)).toEqual(['edge-1']);
  });

  it('still takes no shared token for a name an admin registered', async () => {
    const { json } = await api(stand, 'POST', '/api/clusters', { name: 'edge-reg' });
    expect(await outcome(dial(stand, SHARED, 'edge-reg'))).toMatch(/own credential/);
    expect(await outcome(dial(stand, json.credential, 'edge-reg'))).toBe('connected');
  });
});
