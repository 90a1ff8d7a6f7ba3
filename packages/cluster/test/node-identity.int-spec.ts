import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NodeRegisterResponse } from '@canopy/schema';
import type { ClusterHandle } from '../src';
import { NodeClient, register } from './support/node-client';
import { spec, type RootPeer } from './support/root-peer';
import { startStand, stopStand, type Stand } from './support/stand';
import { waitFor } from '@canopy/testing';

const CLUSTER_TOKEN = 'cluster-secret-token';
const NODE = { name: 'real-node', arch: 'amd64', cpuCores: 2, memoryMb: 2048 };
jest.setTimeout(20_000);

/** SPEC §9 node identity over the real wire: join tokens bootstrap, a node's credential re-registers. */
describe('node identity', () => {
  let dataDir: string;
  let root: RootPeer;
  let cluster: ClusterHandle;
  let stand: Stand | undefined;
  const clients: NodeClient[] = [];

  const api = async (
    method: string,
    path: string,
    token: string | undefined,
    body?: unknown,
  ): Promise<{ status: number; json: unknown }> => {
    const res = await fetch(`http://127.0.0.1:${cluster.port}${path}`, {
      method,
      headers: {
        'content-type': 'application/json',
        ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, json: text === '' ? undefined : (JSON.parse(text) as unknown) };
  };

  beforeAll(async () => {
    // A data directory that does not exist yet: the cluster creates it (and its secret files) itself.
    dataDir = join(mkdtempSync(join(tmpdir(), 'canopy-node-identity-')), 'data');
    stand = await startStand({
      token: CLUSTER_TOKEN,
      config: { clusterName: 'identity-cluster', dataDir, registerRateLimit: 1000 },
    });
    ({ root, cluster } = stand);
  });

  afterAll(async () => {
    stand?.clients.push(...clients);
    await stopStand(stand);
    rmSync(join(dataDir, '..'), { recursive: true, force: true });
  });

  it('refuses a takeover with a join token: 409, and the real node keeps its login and its messages', async () => {
    const first = await register(cluster.port, cluster.nodeToken, NODE);
    expect(first.status).toBe(200);
    const reg = first.json as unknown as NodeRegisterResponse;
    const real = await NodeClient.connect(cluster.mqttPort, reg);
    clients.push(real);
    await real.subscribeControl();
    await real.heartbeat();
    await waitFor('the first control/sync', () => real.on('control/sync')[0]);
    real.startHeartbeats(300);

    const takeover = await register(cluster.port, cluster.nodeToken, { ...NODE, cpuCores: 64 });
    expect(takeover.status).toBe(409);
    expect(takeover.json).toMatchObject({
      code: 'NODE_NAME_TAKEN',
      errors: [{ path: 'name', message: expect.stringContaining("needs that node's credential") }],
    });
    expect(JSON.stringify(takeover.json)).not.toContain('password');

    // The real node still gets what is meant for it, over the connection it already had...
    expect(await root.deploy(spec('svc-after', { constraints: [{ type: 'direct', node: NODE.name }] }))).toEqual({
      ok: true,
    });
    await waitFor('control/deploy on the real node', () => real.on('control/deploy')[0]);
    // ...and its password still logs in (it was not replaced by the refused attempt).
    const second = await NodeClient.connect(cluster.mqttPort, reg, { clientId: 'second-login' });
    clients.push(second);
  });

  it("re-registers a node with its own credential (same id, fresh MQTT login), never with another node's", async () => {
    const a = (await register(cluster.port, cluster.nodeToken, { ...NODE, name: 'node-a' }))
      .json as unknown as NodeRegisterResponse;
    const b = (await register(cluster.port, cluster.nodeToken, { ...NODE, name: 'node-b' }))
      .json as unknown as NodeRegisterResponse;
    expect(a.credential).toEqual(expect.any(String));
    expect(a.credential).not.toBe(b.credential);

    const again = await register(cluster.port, a.credential ?? '', { ...NODE, name: 'node-a' });
    expect(again.status).toBe(200);
    expect(again.json).toMatchObject({ id: a.id });
    expect(again.json).not.toHaveProperty('credential');

    expect((await register(cluster.port, a.credential ?? '', { ...NODE, name: 'node-b' })).status).toBe(403);
    expect((await register(cluster.port, a.credential ?? '', { ...NODE, name: 'node-new' })).status).toBe(403);
    expect((await register(cluster.port, 'not-a-credential', { ...NODE, name: 'node-a' })).status).toBe(401);
  });

  it('gives a new name its previous id when that id is free, and a fresh one when it is taken', async () => {
    const free = await register(cluster.port, cluster.nodeToken, {
      ...NODE,
      name: 'reborn',
      previousId: 'oldid_12345',
    });
    expect(free.json).toMatchObject({ id: 'oldid_12345' });
    const taken = await register(cluster.port, cluster.nodeToken, {
      ...NODE,
      name: 'copycat',
      previousId: 'oldid_12345',
    });
    expect(taken.status).toBe(200);
    expect((taken.json as { id: string }).id).not.toBe('oldid_12345');
  });

  it.each([
    ['cpuCores', { cpuCores: 1_000_000 }],
    ['memoryMb', { memoryMb: 1_000_000_000_000 }],
    ['gpus', { gpus: 100_000 }],
    ['cpuCores', { cpuCores: 0 }],
    ['cpuCores', { cpuCores: -2 }],
    ['memoryMb', { memoryMb: 0.5 }],
    ['cpuCores', { cpuCores: 'lots' }],
  ])('refuses absurd capacity (%s) with 400 naming the field', async (field, extra) => {
    const res = await register(cluster.port, cluster.nodeToken, { ...NODE, name: `absurd-${field}`, ...extra });
    expect(res.status).toBe(400);
    expect(res.json).toMatchObject({ code: 'VALIDATION_FAILED', errors: [{ path: field }] });
  });

  it('lets the operator create, list and revoke join tokens; only the admin token reaches the API', async () => {
    for (const token of [undefined, cluster.nodeToken, 'wrong-admin-token']) {
      expect((await api('GET', '/api/join-tokens', token)).status).toBe(401);
      expect((await api('POST', '/api/join-tokens', token, {})).status).toBe(401);
      expect((await api('DELETE', '/api/join-tokens/abcdef', token)).status).toBe(401);
    }
    expect((await api('POST', '/api/join-tokens', cluster.adminToken, { ttlSeconds: -1 })).json).toMatchObject({
      code: 'VALIDATION_FAILED',
      errors: [{ path: 'ttlSeconds' }],
    });

    const created = await api('POST', '/api/join-tokens', cluster.adminToken, { description: 'rack 4' });
    expect(created.status).toBe(201);
    const token = created.json as { id: string; token: string; expiresAt: string };
    expect(token.token).toMatch(/^[a-z0-9]{6}\.[a-z0-9]{16}$/);
    expect(token.token.startsWith(`${token.id}.`)).toBe(true);
    // kubeadm's default: a day.
    expect(Date.parse(token.expiresAt) - Date.now()).toBeGreaterThan(23 * 3600 * 1000);

    const listed = await api('GET', '/api/join-tokens', cluster.adminToken);
    expect(listed.json).toEqual([expect.objectContaining({ id: token.id, description: 'rack 4', expired: false })]);
    expect(JSON.stringify(listed.json)).not.toContain(token.token.split('.')[1]);

    expect((await register(cluster.port, token.token, { ...NODE, name: 'joined-by-token' })).status).toBe(200);
    expect((await api('DELETE', `/api/join-tokens/${token.id}`, cluster.adminToken)).status).toBe(204);
    expect((await register(cluster.port, token.token, { ...NODE, name: 'after-revoke' })).status).toBe(401);
    expect((await api('DELETE', `/api/join-tokens/${token.id}`, cluster.adminToken)).status).toBe(404);
    expect((await api('GET', '/api/join-tokens', cluster.adminToken)).json).toEqual([]);
  });

  it('refuses a join token once it has expired', async () => {
    const created = await api('POST', '/api/join-tokens', cluster.adminToken, { ttlSeconds: 1 });
    const token = (created.json as { token: string }).token;
    expect((await register(cluster.port, token, { ...NODE, name: 'in-time' })).status).toBe(200);
    // Polled (no fixed sleep): accepted until its second has passed, refused from then on.
    const deadline = Date.now() + 5000;
    let status = 200;
    for (let i = 0; status === 200 && Date.now() < deadline; i++) {
      status = (await register(cluster.port, token, { ...NODE, name: `late-${i}` })).status;
    }
    expect(status).toBe(401);
  });

  it('lets the operator approve a node that lost its credential: the name takes a join token once, same id', async () => {
    const first = (await register(cluster.port, cluster.nodeToken, { ...NODE, name: 'forgetful' }))
      .json as unknown as NodeRegisterResponse;
    expect((await register(cluster.port, cluster.nodeToken, { ...NODE, name: 'forgetful' })).status).toBe(409);
    expect((await api('DELETE', '/api/nodes/forgetful/credential', cluster.nodeToken)).status).toBe(401);
    expect((await api('DELETE', '/api/nodes/nobody/credential', cluster.adminToken)).status).toBe(404);
    expect((await api('DELETE', '/api/nodes/forgetful/credential', cluster.adminToken)).status).toBe(204);

    const again = await register(cluster.port, cluster.nodeToken, { ...NODE, name: 'forgetful' });
    expect(again.status).toBe(200);
    expect(again.json).toMatchObject({ id: first.id, credential: expect.any(String) });
    expect(again.json.credential).not.toBe(first.credential);
    expect((await register(cluster.port, first.credential ?? '', { ...NODE, name: 'forgetful' })).status).toBe(401);
    // Once: the new credential is in force again.
    expect((await register(cluster.port, cluster.nodeToken, { ...NODE, name: 'forgetful' })).status).toBe(409);
  });

  it('gives a retried first registration (same attemptId, its answer lost) the credential again; the lost one stops working', async () => {
    const attemptId = 'retried-attempt-0123456789abcdef';
    const lost = await register(cluster.port, cluster.nodeToken, { ...NODE, name: 'unlucky', attemptId });
    expect(lost.status).toBe(200);
    const lostAnswer = lost.json as unknown as NodeRegisterResponse;

    // The node never saw that answer and tries again, with the same attempt id.
    const retry = await register(cluster.port, cluster.nodeToken, { ...NODE, name: 'unlucky', attemptId });
    expect(retry.status).toBe(200);
    const answer = retry.json as unknown as NodeRegisterResponse;
    expect(answer).toMatchObject({ id: lostAnswer.id, credential: expect.any(String) });
    expect(answer.credential).not.toBe(lostAnswer.credential);
    expect(answer.mqtt.password).not.toBe(lostAnswer.mqtt.password);
    expect((await register(cluster.port, lostAnswer.credential ?? '', { ...NODE, name: 'unlucky' })).status).toBe(401);
    // The login in the retry's answer is the one in force: the node is served under its id.
    const own = await NodeClient.connect(cluster.mqttPort, answer);
    clients.push(own);
    await own.subscribeControl();
    await own.heartbeat();
    await waitFor('its first control/sync', () => own.on('control/sync')[0]);

    // Its credential registers it, and from then on its attempt is done: the same id is refused.
    expect((await register(cluster.port, answer.credential ?? '', { ...NODE, name: 'unlucky' })).status).toBe(200);
    const replay = await register(cluster.port, cluster.nodeToken, { ...NODE, name: 'unlucky', attemptId });
    expect(replay.status).toBe(409);
    expect(replay.json).toMatchObject({ code: 'NODE_NAME_TAKEN' });
  });

  it('takes an attempt id only for the registration it came with, only while that node is not live', async () => {
    const attemptId = 'first-attempt-0123456789abcdef';
    const first = await register(cluster.port, cluster.nodeToken, { ...NODE, name: 'guarded', attemptId });
    expect(first.status).toBe(200);
    // A join token holder without the id (or with another) does not get the name.
    for (const other of [undefined, 'another-attempt-0123456789abcdef']) {
      const taken = await register(cluster.port, cluster.nodeToken, { ...NODE, name: 'guarded', attemptId: other });
      expect([other, taken.status, taken.json.code]).toEqual([other, 409, 'NODE_NAME_TAKEN']);
    }
    // The answer did arrive: the node is connected and heartbeating, and a replay of its id is refused.
    const real = await NodeClient.connect(cluster.mqttPort, first.json as unknown as NodeRegisterResponse);
    clients.push(real);
    await real.subscribeControl();
    await real.heartbeat();
    await waitFor('its first control/sync', () => real.on('control/sync')[0]);
    const replay = await register(cluster.port, cluster.nodeToken, { ...NODE, name: 'guarded', attemptId });
    expect(replay.status).toBe(409);
    expect(replay.json).toMatchObject({ code: 'NODE_CONNECTED' });
    // and the real node keeps its session: the operator's reset, not a replay, is what ends it.
    await real.heartbeat();
  });

  it('refuses an attempt id that is too short to be random, naming the field', async () => {
    const res = await register(cluster.port, cluster.nodeToken, { ...NODE, name: 'weak', attemptId: 'abc' });
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.json)).toContain('attemptId');
  });

  it('keeps the admin token and the join tokens in 0600 files', () => {
    for (const f of ['admin-token', 'join-tokens.json']) {
      expect([f, statSync(join(dataDir, f)).mode & 0o777]).toEqual([f, 0o600]);
    }
  });
});
