import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { io, type Socket } from 'socket.io-client';
import type { RootHandle } from '../src/root.bootstrap';
import { ONE_NODE_RESOURCES } from './support/fake-cluster';
import { bootRoot } from './support/http-root';

const CLUSTER_TOKEN = 'gateway-test-cluster-token-0123';

const resources = ONE_NODE_RESOURCES;

/**
 * The root's cluster endpoint (Socket.IO, `/clusters`), dialled by a real Socket.IO client the way
 * a cluster does: the token is checked in the handshake, and malformed events are answered with an
 * error instead of crashing anything or changing state.
 */
describe('cluster gateway (real Socket.IO)', () => {
  jest.setTimeout(60_000);
  let root: RootHandle;
  let dir: string;
  const sockets: Socket[] = [];

  function dial(auth: Record<string, unknown>): Socket {
    const socket = io(`${root.url}/clusters`, { auth, reconnection: false, transports: ['websocket'] });
    sockets.push(socket);
    return socket;
  }

  /** 'connected', or the server's reason for refusing. */
  function outcome(socket: Socket): Promise<string> {
    return new Promise((resolve) => {
      socket.once('connect', () => resolve('connected'));
      socket.once('connect_error', (e) => resolve(e.message));
    });
  }

  async function adminToken(): Promise<string> {
    const res = await fetch(`${root.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'Admin', password: 'gateway-admin-pw' }),
    });
    return ((await res.json()) as { token: string }).token;
  }

  async function clusters(): Promise<{ cluster_name: string; active: boolean }[]> {
    const res = await fetch(`${root.url}/api/clusters`, { headers: { authorization: `Bearer ${await adminToken()}` } });
    return (await res.json()) as { cluster_name: string; active: boolean }[];
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'canopy-gateway-'));
    root = await bootRoot(dir, {
      CANOPY_ADMIN_PASSWORD: 'gateway-admin-pw',
      CANOPY_CLUSTER_TOKEN: CLUSTER_TOKEN,
      CANOPY_ALLOW_SHARED_CLUSTER_TOKEN: 'true',
      LOGIN_RATE_LIMIT: '1000',
    });
  });

  afterAll(async () => {
    for (const s of sockets) {
      s.close();
    }
    await root.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a wrong token, a missing token and a malformed handshake', async () => {
    expect(await outcome(dial({ token: 'wrong-token-wrong-token', name: 'intruder' }))).toBe('unauthorized');
    expect(await outcome(dial({ name: 'anonymous' }))).toMatch(/invalid handshake: token/);
    expect(await outcome(dial({ token: CLUSTER_TOKEN, name: '../etc' }))).toMatch(/invalid handshake: name/);
    expect((await clusters()).map((c) => c.cluster_name)).toEqual([]);
  });

  it('registers a cluster with the right token and answers its sync with a desired set', async () => {
    const socket = dial({ token: CLUSTER_TOKEN, name: 'edge-1', location: '48.1,11.6' });
    expect(await outcome(socket)).toBe('connected');
    const reply = await socket.timeout(5000).emitWithAck('cluster:sync', { resources, instances: [] });
    expect(reply).toEqual({ clusterId: expect.any(String), desired: [] });
    expect(await clusters()).toEqual([expect.objectContaining({ cluster_name: 'edge-1', active: true })]);
  });

  it("shows the cluster with the fields Oakestra's CLI (`oak c s`) and dashboard read", async () => {
    const token = await adminToken();
    const get = async (path: string) =>
      (await fetch(`${root.url}${path}`, { headers: { authorization: `Bearer ${token}` } })).json() as Promise<any>;
    const [edge] = await get('/api/clusters/');
    expect(edge).toMatchObject({
      _id: { $oid: edge.id },
      cluster_name: 'edge-1',
      cluster_location: '48.1,11.6',
      active: true,
      active_nodes: 1,
      virtualization: ['docker'],
      total_cpu_cores: 2,
      memory_in_mb: 4096,
      aggregated_cpu_percent: 0,
      pairing_complete: true,
    });
    expect(typeof edge.last_modified_timestamp).toBe('number');
    expect(await get(`/api/cluster/${edge.id}`)).toEqual(edge);
    expect(await get('/api/cluster/no-such-cluster')).toMatchObject({ statusCode: 404, code: 'NOT_FOUND' });
    // The dashboard's "clusters of a user": Canopy's clusters serve every user.
    expect((await get('/api/clusters/someone')).map((c: { id: string }) => c.id)).toEqual([edge.id]);
  });

  it('answers malformed events with an error naming the field, and keeps serving', async () => {
    const socket = dial({ token: CLUSTER_TOKEN, name: 'edge-2' });
    expect(await outcome(socket)).toBe('connected');
    const badSync = await socket
      .timeout(5000)
      .emitWithAck('cluster:sync', { resources: { nodes: 'many' }, instances: 'x' });
    expect(badSync).toEqual({ ok: false, error: expect.stringContaining('resources') });
    const badStatus = await socket
      .timeout(5000)
      .emitWithAck('instance:status', { serviceId: 's', instanceNumber: -1, generation: 1, status: 'BOGUS' });
    expect(badStatus).toEqual({ ok: false, error: expect.stringMatching(/instanceNumber|status/) });
    // A status for an instance the root never made changes nothing and is acknowledged.
    const unknown = await socket
      .timeout(5000)
      .emitWithAck('instance:status', { serviceId: 'nope', instanceNumber: 0, generation: 1, status: 'RUNNING' });
    expect(unknown).toEqual({ ok: true });
    const good = await socket.timeout(5000).emitWithAck('cluster:sync', { resources, instances: [] });
    expect(good).toEqual({ clusterId: expect.any(String), desired: [] });
  });

  it('pairs each instance with the spec of its own generation during a rollout', async () => {
    const socket = dial({ token: CLUSTER_TOKEN, name: 'edge-roll' });
    socket.on('instance:deploy', (_spec: unknown, ack: (r: unknown) => void) => ack({ ok: true }));
    expect(await outcome(socket)).toBe('connected');
    await socket.timeout(5000).emitWithAck('cluster:sync', { resources, instances: [] });
    const token = await adminToken();
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${token}` };
    const ms = {
      microservice_name: 'web',
      microservice_namespace: 'ns',
      virtualization: 'container',
      code: 'img',
      environment: ['MODE=old'],
      // Other fake clusters of this file are connected too (and never ack); pin to this one.
      constraints: [{ type: 'direct', cluster: 'edge-roll' }],
    };
    const created = await fetch(`${root.url}/api/application`, {
      method: 'POST',
      headers,
      body: JSON.stringify({
        sla_version: 'v2.0',
        customerID: 'c',
        applications: [
          { applicationID: '', application_name: 'roll', application_namespace: 'ns', microservices: [ms] },
        ],
      }),
    });
    const serviceId = ((await created.json()) as any).applications[0].microservices[0] as string;
    const deployed = await fetch(`${root.url}/api/service/${serviceId}/instance`, { method: 'POST', headers });
    expect(((await deployed.json()) as any).status).toBe('CLUSTER_SCHEDULED');
    const put = await fetch(`${root.url}/api/service/${serviceId}`, {
      method: 'PUT',
      headers,
      body: JSON.stringify({ ...ms, environment: ['MODE=new'] }),
    });
    expect(((await put.json()) as any).generation).toBe(2);
    // The rollout surges generation 2 while generation 1 still runs; both are in the desired set.
    let desired: any[] = [];
    for (let i = 0; i < 50 && desired.length < 2; i++) {
      const reply: any = await socket.timeout(5000).emitWithAck('cluster:sync', { resources, instances: [] });
      desired = reply.desired.filter((d: any) => d.serviceId === serviceId);
      await new Promise((r) => setTimeout(r, 100));
    }
    const envOf = (generation: number) => desired.find((d) => d.generation === generation)?.environment;
    expect(envOf(1)).toEqual(['MODE=old']);
    expect(envOf(2)).toEqual(['MODE=new']);
  });

  it('takes heartbeats, and a malformed one crashes nothing', async () => {
    const socket = dial({ token: CLUSTER_TOKEN, name: 'edge-beat' });
    expect(await outcome(socket)).toBe('connected');
    socket.emit('cluster:heartbeat', { sentAt: Date.now() });
    socket.emit('cluster:heartbeat', { sentAt: 'yesterday' });
    socket.emit('cluster:heartbeat', null);
    const good = await socket.timeout(5000).emitWithAck('cluster:sync', { resources, instances: [] });
    expect(good).toEqual({ clusterId: expect.any(String), desired: [] });
    const listed = (await clusters()).find((c) => c.cluster_name === 'edge-beat') as any;
    expect([listed.active, listed.state]).toEqual([true, 'live']);
  });

  it('marks a cluster inactive when its connection drops', async () => {
    const socket = dial({ token: CLUSTER_TOKEN, name: 'edge-3' });
    expect(await outcome(socket)).toBe('connected');
    socket.close();
    for (let i = 0; i < 50; i++) {
      const edge3 = (await clusters()).find((c) => c.cluster_name === 'edge-3');
      if (edge3 && !edge3.active) {
        return;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error('edge-3 still active after its connection closed');
  });
});
