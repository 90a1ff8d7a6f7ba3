import { statSync } from 'node:fs';
import { join } from 'node:path';
import { NodeTopics, type NodeRegisterResponse } from '@canopy/schema';
import { connectAsync } from 'mqtt';
import pino from 'pino';
import { startCluster } from '../src';
import { NodeClient, register } from './support/node-client';
import { spec } from './support/root-peer';
import { startStand as startSharedStand, stopStand, type Stand } from './support/stand';
import { sleep, waitFor } from '@canopy/testing';

const CLUSTER_TOKEN = 'cluster-secret-token';
jest.setTimeout(20_000);

const NODE_A = { name: 'node-a', arch: 'amd64', cpuCores: 2, memoryMb: 2048, publicIp: '10.0.0.5' };
const NODE_B = { name: 'node-b', arch: 'arm64', cpuCores: 16, memoryMb: 65536 };
const NODE_B_HEARTBEAT = { cpuCores: 16, memoryTotalMb: 65536, arch: 'arm64' };

/** Every test starts its own stand; the steps it needs first (an active node, a placed service) are the helpers below. */
function startStand(): Promise<Stand> {
  return startSharedStand({
    token: CLUSTER_TOKEN,
    config: { clusterLocation: '48.26,11.67', resourcesIntervalMs: 300 },
  });
}

async function connectNode(stand: Stand, reg: NodeRegisterResponse): Promise<NodeClient> {
  const c = await NodeClient.connect(stand.cluster.mqttPort, reg);
  stand.clients.push(c);
  return c;
}

async function registerNode(stand: Stand, body: Record<string, unknown>): Promise<NodeRegisterResponse> {
  const res = await register(stand.cluster.port, stand.cluster.nodeToken, body);
  expect(res.status).toBe(200);
  return res.json as unknown as NodeRegisterResponse;
}

/** Registers a node, connects it to the broker and subscribes it to its control topics. */
async function connectedNode(
  stand: Stand,
  body: Record<string, unknown>,
): Promise<{ reg: NodeRegisterResponse; node: NodeClient }> {
  const reg = await registerNode(stand, body);
  const node = await connectNode(stand, reg);
  await node.subscribeControl();
  return { reg, node };
}

/** A connected node that has sent its first heartbeat, got its sync, and keeps beating. */
async function activeNode(
  stand: Stand,
  body: Record<string, unknown>,
  heartbeat: Record<string, unknown> = {},
): Promise<{ reg: NodeRegisterResponse; node: NodeClient }> {
  const n = await connectedNode(stand, body);
  await n.node.heartbeat(heartbeat);
  await waitFor(`control/sync for ${String(body.name)}`, () => n.node.on('control/sync')[0]);
  n.node.startHeartbeats(300, heartbeat);
  return n;
}

/** `svc-web` deployed from the root, pinned to node A, and scheduled there. */
async function deployWeb(stand: Stand, nodeA: NodeClient): Promise<void> {
  expect(await stand.root.deploy(spec('svc-web', { constraints: [{ type: 'direct', node: 'node-a' }] }))).toEqual({
    ok: true,
  });
  await waitFor('control/deploy on node A', () => nodeA.on('control/deploy')[0]);
  await waitFor('NODE_SCHEDULED at the root', () =>
    stand.root.statusesOf('svc-web').find((r) => r.status === 'NODE_SCHEDULED'),
  );
}

function runningWeb(): Record<string, unknown> {
  return {
    serviceId: 'svc-web',
    instanceNumber: 0,
    generation: 1,
    sname: 'app.default.svc-web.default',
    instance: 0,
    status: 'RUNNING',
    containerId: 'abc123',
    hostPorts: [{ containerPort: 80, hostPort: 32080, protocol: 'tcp' }],
  };
}

/** `svc-synced`: only in the root's desired set (never sent as an event), placed on node A by the periodic sync. */
async function syncedOnA(stand: Stand, regA: NodeRegisterResponse, nodeA: NodeClient): Promise<void> {
  stand.root.desired.set('svc-synced/0@1', spec('svc-synced', { constraints: [{ type: 'direct', node: regA.id }] }));
  await waitFor('deploy from sync', () =>
    nodeA.on('control/deploy').find((m) => (m.body as { serviceId: string }).serviceId === 'svc-synced'),
  );
}

describe('cluster orchestrator (real HTTP, MQTT, Socket.IO, SQLite)', () => {
  let stand: Stand;

  beforeEach(async () => {
    stand = await startStand();
  });

  afterEach(async () => {
    await stopStand(stand);
  });

  it('introduces itself to the root with its token, name and location and syncs', () => {
    const { root } = stand;
    expect(root.handshakes[0]).toEqual({ token: CLUSTER_TOKEN, name: 'test-cluster', location: '48.26,11.67' });
    expect(root.syncs[0]).toEqual({ resources: expect.objectContaining({ nodes: 0, activeNodes: 0 }), instances: [] });
  });

  it('generates a node join token once and keeps it private on disk', () => {
    expect(stand.cluster.nodeToken.length).toBeGreaterThanOrEqual(16);
    expect(statSync(join(stand.dataDir, 'node-token')).mode & 0o777).toBe(0o600);
  });

  it('refuses registration without the right node token', async () => {
    const { cluster } = stand;
    const wrong = await register(cluster.port, 'not-the-token', {
      name: 'x',
      arch: 'amd64',
      cpuCores: 1,
      memoryMb: 512,
    });
    expect(wrong.status).toBe(401);
    expect(wrong.json).toEqual({ statusCode: 401, code: 'UNAUTHORIZED', message: expect.any(String), errors: [] });

    const res = await fetch(`http://127.0.0.1:${cluster.port}/api/node/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(res.status).toBe(401);
  });

  it('answers a malformed registration with 400 naming the field', async () => {
    const { cluster } = stand;
    const res = await register(cluster.port, cluster.nodeToken, {
      name: 'node-x',
      arch: 'amd64',
      cpuCores: 'two',
      memoryMb: 512,
    });
    expect(res.status).toBe(400);
    // The same code the root answers a bad body with: both tiers share one edge (@canopy/nest-edge).
    expect(res.json.code).toBe('VALIDATION_FAILED');
    expect(res.json.errors).toEqual([expect.objectContaining({ path: 'cpuCores' })]);
  });

  it('answers a body that is not JSON with 400 in the same error shape', async () => {
    const { cluster } = stand;
    const res = await fetch(`http://127.0.0.1:${cluster.port}/api/node/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${cluster.nodeToken}` },
      body: '{"name": ',
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      statusCode: 400,
      code: 'MALFORMED_JSON',
      message: expect.any(String),
      errors: [{ path: '$', message: expect.any(String) }],
    });
  });

  it('registers a node whose credentials work at the broker, and keeps its id on re-registration', async () => {
    const { cluster } = stand;
    const first = await register(cluster.port, cluster.nodeToken, NODE_A);
    expect(first.status).toBe(200);
    const reg = first.json as unknown as NodeRegisterResponse;
    expect(reg.id).toMatch(/^[A-Za-z0-9_-]{1,64}$/);
    expect(reg.MQTT_BROKER_PORT).toBe(cluster.mqttPort);
    expect(reg.mqtt.username).toBe(reg.id);
    expect(reg.credential).toEqual(expect.any(String));

    // Re-registering the name takes the node's own credential (a join token is refused: node-identity.int-spec).
    const again = await register(cluster.port, reg.credential ?? '', NODE_A);
    const regA = again.json as unknown as NodeRegisterResponse;
    expect(regA.id).toBe(reg.id);
    expect(regA.credential).toBeUndefined();
    expect(regA.mqtt.password).not.toBe(reg.mqtt.password);

    const nodeA = await connectNode(stand, regA);
    expect(await nodeA.subscribeControl()).toEqual([1]);
  });

  it('refuses wrong MQTT credentials', async () => {
    const { cluster } = stand;
    const regA = await registerNode(stand, NODE_A);
    await expect(
      connectAsync(
        `mqtt://127.0.0.1:${cluster.mqttPort}`,
        { username: regA.id, password: 'wrong', protocolVersion: 4, reconnectPeriod: 0 },
        false,
      ),
    ).rejects.toThrow(/Bad username or password|Not authorized/i);
    await expect(
      connectAsync(`mqtt://127.0.0.1:${cluster.mqttPort}`, { protocolVersion: 4, reconnectPeriod: 0 }, false),
    ).rejects.toThrow();
  });

  it('marks a node active on its first heartbeat and sends it its desired set', async () => {
    const { root } = stand;
    const { node: nodeA } = await connectedNode(stand, NODE_A);
    await nodeA.heartbeat();
    const sync = await waitFor('control/sync', () => nodeA.on('control/sync')[0]);
    nodeA.startHeartbeats(300);
    expect(sync.body).toEqual({ instances: [] });
    const resources = await waitFor('resources with an active node', () =>
      root.resources.find((r) => r.activeNodes === 1),
    );
    expect(resources).toMatchObject({ nodes: 1, cpuMillisTotal: 2000, memoryMbTotal: 2048, architectures: ['amd64'] });
    expect(resources.largestNodeFree).toEqual({ cpuMillis: 2000, memoryMb: 2048, gpus: 0 });
  });

  it("keeps a node out of another node's topics", async () => {
    const { root } = stand;
    const { reg: regA } = await activeNode(stand, NODE_A);
    const { reg: regB, node: nodeB } = await connectedNode(stand, NODE_B);
    // A second connection with node A's login plays the attacker.
    const attacker = await connectNode(stand, regA);

    // Subscribing to B's control topic is refused (SUBACK failure), so B's commands never reach it.
    await expect(attacker.client.subscribeAsync(NodeTopics.controlWildcard(regB.id), { qos: 1 })).rejects.toThrow(
      /Subscribe error/,
    );
    // Publishing a heartbeat for B is refused: B does not become active, so it gets no sync.
    // QoS 0: the broker drops the connection of a client publishing where it may not, so a QoS 1
    // publish would wait for a PUBACK that never comes. That drop is the marker that the broker
    // has decided on the publish (and so forwarded nothing), not a sleep.
    const forged = {
      cpuCores: 16,
      cpuPercent: 1,
      memoryTotalMb: 65536,
      memoryFreeMb: 60000,
      arch: 'arm64',
      at: Date.now(),
    };
    const dropped = new Promise<void>((resolve) => attacker.client.once('close', () => resolve()));
    await attacker.client.publishAsync(NodeTopics.information(regB.id), JSON.stringify(forged), { qos: 0 });
    await dropped;
    expect(nodeB.on('control/sync')).toEqual([]);

    // B's own heartbeat does work: the observation above could have failed.
    await nodeB.heartbeat(NODE_B_HEARTBEAT);
    await waitFor('control/sync for node B', () => nodeB.on('control/sync')[0]);
    nodeB.startHeartbeats(300, NODE_B_HEARTBEAT);
    expect(attacker.received.filter((m) => m.topic.includes(regB.id))).toEqual([]);
    const both = await waitFor('two active nodes', () => root.resources.find((r) => r.activeNodes === 2));
    expect(both.architectures).toEqual(['amd64', 'arm64']);
  });

  it('places a deploy from the root on a node and reports NODE_SCHEDULED up', async () => {
    const { root } = stand;
    const { reg: regA, node: nodeA } = await activeNode(stand, NODE_A);
    const s = spec('svc-web', { constraints: [{ type: 'direct', node: 'node-a' }] });
    expect(await root.deploy(s)).toEqual({ ok: true });
    const deploy = await waitFor('control/deploy on node A', () => nodeA.on('control/deploy')[0]);
    expect(deploy.body).toMatchObject({ serviceId: 'svc-web', instanceNumber: 0, generation: 1, image: s.image });
    const scheduled = await waitFor('NODE_SCHEDULED at the root', () =>
      root.statusesOf('svc-web').find((r) => r.status === 'NODE_SCHEDULED'),
    );
    expect(scheduled).toMatchObject({ nodeId: regA.id, nodeName: 'node-a', publicIp: '10.0.0.5' });

    // The same key again is a no-op: no second deploy command. The marker: a later deploy of
    // another service reaches node A, so the repeated one would have arrived before it.
    expect(await root.deploy(s)).toEqual({ ok: true });
    expect(await root.deploy(spec('svc-marker', { constraints: [{ type: 'direct', node: 'node-a' }] }))).toEqual({
      ok: true,
    });
    await waitFor('control/deploy of the marker on node A', () =>
      nodeA.on('control/deploy').find((m) => (m.body as { serviceId: string }).serviceId === 'svc-marker'),
    );
    expect(
      nodeA.on('control/deploy').filter((m) => (m.body as { serviceId: string }).serviceId === 'svc-web'),
    ).toHaveLength(1);
  });

  it("forwards a node's RUNNING status to the root with where it runs", async () => {
    const { root } = stand;
    const { reg: regA, node: nodeA } = await activeNode(stand, NODE_A);
    await activeNode(stand, NODE_B, NODE_B_HEARTBEAT);
    await deployWeb(stand, nodeA);
    await nodeA.publish(NodeTopics.job(regA.id), runningWeb());
    const running = await waitFor('RUNNING at the root', () =>
      root.statusesOf('svc-web').find((r) => r.status === 'RUNNING'),
    );
    expect(running).toMatchObject({
      nodeId: regA.id,
      nodeName: 'node-a',
      publicIp: '10.0.0.5',
      containerId: 'abc123',
      hostPorts: [{ containerPort: 80, hostPort: 32080, protocol: 'tcp' }],
    });
    const resources = await waitFor('reserved resources', () => root.resources.find((r) => r.cpuMillisFree === 17500));
    expect(resources.memoryMbFree).toBe(2048 + 65536 - 64);
  });

  it('reports NO_WORKER_CAPACITY with a reason when nothing fits', async () => {
    const { root } = stand;
    await activeNode(stand, NODE_A);
    expect(await root.deploy(spec('svc-huge', { memoryMb: 1_000_000 }))).toEqual({ ok: true });
    const failed = await waitFor('NO_WORKER_CAPACITY', () => root.statusesOf('svc-huge')[0]);
    expect(failed.status).toBe('NO_WORKER_CAPACITY');
    expect(failed.status_detail).toEqual(expect.any(String));
    expect(failed.status_detail!.length).toBeGreaterThan(5);
    await root.delete({ serviceId: 'svc-huge', instanceNumber: 0, generation: 1 });
  });

  it('refuses an invalid deploy with an error in the ack', async () => {
    const ack = await stand.root.emit('instance:deploy', { ...spec('svc-bad'), instanceNumber: -1 });
    expect(ack).toEqual({ ok: false, error: expect.stringMatching(/instanceNumber/) });
  });

  it('drops malformed MQTT payloads without crashing', async () => {
    const { root, cluster } = stand;
    const { reg: regA, node: nodeA } = await activeNode(stand, NODE_A);
    await deployWeb(stand, nodeA);
    await nodeA.publish(NodeTopics.information(regA.id), 'this is not json{');
    await nodeA.publish(NodeTopics.job(regA.id), { serviceId: 'svc-web', status: 'EXPLODED' });
    await nodeA.publish(NodeTopics.jobResources(regA.id), { instances: 'nope' });
    await nodeA.publish(NodeTopics.job(regA.id), {
      serviceId: 'svc-web',
      instanceNumber: 0,
      generation: 1,
      sname: 'x',
      instance: 0,
      status: 'FAILED',
      hostPorts: [{ containerPort: 'eighty' }],
    });
    // The marker: a valid report published after the malformed ones reaches the root, so they
    // have been handled (the cluster reads one node's messages in order).
    await nodeA.publish(NodeTopics.job(regA.id), runningWeb());
    await waitFor('RUNNING at the root', () => root.statusesOf('svc-web').find((r) => r.status === 'RUNNING'));
    const health = await fetch(`http://127.0.0.1:${cluster.port}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok', rootConnected: true });
    expect(root.statusesOf('svc-web').map((r) => r.status)).not.toContain('FAILED');
  });

  it('converges on the desired set from the root sync', async () => {
    const { root } = stand;
    const { reg: regA, node: nodeA } = await activeNode(stand, NODE_A);
    await deployWeb(stand, nodeA);
    // Only in the root's desired set, never sent as an event: the periodic sync must bring it.
    const s = spec('svc-synced', { constraints: [{ type: 'direct', node: regA.id }] });
    root.desired.set('svc-synced/0@1', s);
    const deploy = await waitFor('deploy from sync', () =>
      nodeA.on('control/deploy').find((m) => (m.body as { serviceId: string }).serviceId === 'svc-synced'),
    );
    expect(deploy.body).toMatchObject({ serviceId: 'svc-synced' });
    // The node's periodic sync now lists both instances.
    await waitFor('node sync with two instances', () =>
      nodeA.on('control/sync').find((m) => (m.body as { instances: unknown[] }).instances.length === 2),
    );
  });

  it('keeps a deploy the root sent while its sync answer was on the way (the older set removes nothing)', async () => {
    const { root } = stand;
    const { node: nodeA } = await activeNode(stand, NODE_A);
    const hold = root.holdNextSync();
    await hold.arrived;
    // The answer was read without svc-late; the deploy command overtakes it on the wire.
    await root.deploy(spec('svc-late', { constraints: [{ type: 'direct', node: 'node-a' }] }));
    await waitFor('control/deploy of svc-late', () =>
      nodeA.on('control/deploy').find((m) => (m.body as { serviceId: string }).serviceId === 'svc-late'),
    );
    const syncsBefore = root.syncs.length;
    hold.release();
    // Two later syncs: the stale answer has been applied, and a fresh one too.
    await waitFor('two more syncs', () => root.syncs.length >= syncsBefore + 2, 10_000);
    expect(nodeA.on('control/delete')).toEqual([]);
    expect(root.statusesOf('svc-late').map((r) => r.status)).not.toContain('UNDEPLOYED');
    expect(root.syncs.at(-1)?.instances.map((i) => i.serviceId)).toContain('svc-late');
  });

  it('deletes through the node and reports UNDEPLOYED once the node confirms', async () => {
    const { root } = stand;
    const { reg: regA, node: nodeA } = await activeNode(stand, NODE_A);
    await activeNode(stand, NODE_B, NODE_B_HEARTBEAT);
    await deployWeb(stand, nodeA);
    await nodeA.publish(NodeTopics.job(regA.id), runningWeb());
    await waitFor('RUNNING at the root', () => root.statusesOf('svc-web').find((r) => r.status === 'RUNNING'));

    expect(await root.delete({ serviceId: 'svc-web', instanceNumber: 0, generation: 1 })).toEqual({ ok: true });
    const del = await waitFor('control/delete on node A', () => nodeA.on('control/delete')[0]);
    expect(del.body).toEqual({ serviceId: 'svc-web', instanceNumber: 0, generation: 1 });
    // The marker: a deploy sent after the delete is scheduled and reported; an UNDEPLOYED sent
    // without waiting for the node would have reached the root before it.
    expect(await root.deploy(spec('svc-marker', { constraints: [{ type: 'direct', node: 'node-a' }] }))).toEqual({
      ok: true,
    });
    await waitFor('NODE_SCHEDULED for the marker', () =>
      root.statusesOf('svc-marker').find((r) => r.status === 'NODE_SCHEDULED'),
    );
    expect(root.statusesOf('svc-web').map((r) => r.status)).not.toContain('UNDEPLOYED');

    await nodeA.publish(NodeTopics.job(regA.id), {
      serviceId: 'svc-web',
      instanceNumber: 0,
      generation: 1,
      sname: 'app.default.svc-web.default',
      instance: 0,
      status: 'UNDEPLOYED',
    });
    await waitFor('UNDEPLOYED at the root', () => root.statusesOf('svc-web').find((r) => r.status === 'UNDEPLOYED'));
    // svc-web's reservation goes; the marker's (the same size) stays.
    await waitFor('reservation released', () => root.resources.at(-1)?.cpuMillisFree === 17500);

    // An unknown key is reported gone straight away.
    await root.delete({ serviceId: 'svc-never', instanceNumber: 3, generation: 1 });
    await waitFor('UNDEPLOYED for an unknown key', () =>
      root.statusesOf('svc-never').find((r) => r.status === 'UNDEPLOYED'),
    );
  });

  it('reconnects to the root after the root goes away and comes back, and syncs again', async () => {
    const { root } = stand;
    const { reg: regA, node: nodeA } = await activeNode(stand, NODE_A);
    await syncedOnA(stand, regA, nodeA);
    await root.stop();
    await sleep(300);
    const before = root.syncs.length;
    await root.start();
    await waitFor('a new cluster:sync after reconnect', () => root.syncs.length > before, 15_000);
    expect(root.syncs.at(-1)!.instances.map((i) => i.serviceId)).toContain('svc-synced');
  });

  it('remembers nodes and placements across a cluster restart', async () => {
    const { reg: regA, node: nodeA } = await activeNode(stand, NODE_A);
    await syncedOnA(stand, regA, nodeA);
    for (const c of stand.clients.splice(0)) {
      await c.close();
    }
    await stand.cluster.stop();
    stand.cluster = await startCluster(stand.config, pino({ level: 'silent' }));
    const again = (
      await register(stand.cluster.port, regA.credential ?? '', {
        name: 'node-a',
        arch: 'amd64',
        cpuCores: 2,
        memoryMb: 2048,
      })
    ).json as unknown as NodeRegisterResponse;
    expect(again.id).toBe(regA.id);
    const node = await connectNode(stand, again);
    await node.subscribeControl();
    await node.heartbeat();
    const sync = await waitFor('control/sync after restart', () => node.on('control/sync')[0]);
    expect((sync.body as { instances: { serviceId: string }[] }).instances.map((i) => i.serviceId)).toEqual([
      'svc-synced',
    ]);
  });
});
