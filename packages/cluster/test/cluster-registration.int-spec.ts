import { statSync } from 'node:fs';
import { join } from 'node:path';
import { NodeTopics, type NodeRegisterResponse } from '@canopy/schema';
import { connectAsync } from 'mqtt';
import { register } from './support/node-client';
import { waitFor } from '@canopy/testing';
import {
  CLUSTER_TOKEN,
  NODE_A,
  NODE_B,
  NODE_B_HEARTBEAT,
  activeNode,
  connectNode,
  connectedNode,
  registerNode,
  standPerTest,
} from './support/cluster-steps';

jest.setTimeout(20_000);

/** The cluster introduces itself to the root; nodes register, log in to the broker and become active, each in its own topics. */
describe('cluster orchestrator (real HTTP, MQTT, Socket.IO, SQLite)', () => {
  const ctx = standPerTest();

  it('introduces itself to the root with its token, name and location and syncs', () => {
    const { root } = ctx.stand;
    expect(root.handshakes[0]).toEqual({ token: CLUSTER_TOKEN, name: 'test-cluster', location: '48.26,11.67' });
    expect(root.syncs[0]).toEqual({ resources: expect.objectContaining({ nodes: 0, activeNodes: 0 }), instances: [] });
  });

  it('generates a node join token once and keeps it private on disk', () => {
    expect(ctx.stand.cluster.nodeToken.length).toBeGreaterThanOrEqual(16);
    expect(statSync(join(ctx.stand.dataDir, 'node-token')).mode & 0o777).toBe(0o600);
  });

  it('refuses registration without the right node token', async () => {
    const { cluster } = ctx.stand;
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
    const { cluster } = ctx.stand;
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
    const { cluster } = ctx.stand;
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
    const { cluster } = ctx.stand;
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

    const nodeA = await connectNode(ctx.stand, regA);
    expect(await nodeA.subscribeControl()).toEqual([1]);
  });

  it('refuses wrong MQTT credentials', async () => {
    const { cluster } = ctx.stand;
    const regA = await registerNode(ctx.stand, NODE_A);
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
    const { root } = ctx.stand;
    const { node: nodeA } = await connectedNode(ctx.stand, NODE_A);
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
    const { root } = ctx.stand;
    const { reg: regA } = await activeNode(ctx.stand, NODE_A);
    const { reg: regB, node: nodeB } = await connectedNode(ctx.stand, NODE_B);
    // A second connection with node A's login plays the attacker.
    const attacker = await connectNode(ctx.stand, regA);

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
});
