import { mkdtempSync, rmSync } from 'node:fs';
import { connect as tcpConnect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NODE_TO_CLUSTER, NodeTopics, type NodeRegisterResponse } from '@canopy/schema';
import fc from 'fast-check';
import pino from 'pino';
import { startCluster, type ClusterHandle } from '../src';
import { NodeClient, register } from './support/node-client';
import { RootPeer } from './support/root-peer';
import { freePort, waitFor } from '@canopy/testing';
import { startStand, stopStand, type Stand } from './support/stand';

const CLUSTER_TOKEN = 'cluster-secret-token';
const PER_ADDRESS = 12;
jest.setTimeout(60_000);

/** Opens a raw TCP connection to the broker; resolves once connected. */
function rawSocket(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = tcpConnect(port, '127.0.0.1', () => resolve(s));
    s.once('error', reject);
  });
}

function closed(socket: Socket): Promise<void> {
  return new Promise((resolve) => (socket.destroyed ? resolve() : socket.once('close', () => resolve())));
}

/** MQTT "remaining length" varint. */
function remainingLength(n: number): Buffer {
  const out: number[] = [];
  do {
    let byte = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) {
      byte |= 0x80;
    }
    out.push(byte);
  } while (n > 0);
  return Buffer.from(out);
}

/**
 * Streams a CONNECT that declares `declared` bytes, in 64 KiB writes, until the broker hangs up or
 * `budget` bytes went out. Returns how much was sent.
 */
async function floodConnect(port: number, declared: number, budget: number): Promise<number> {
  const s = await rawSocket(port);
  s.on('error', () => undefined);
  const done = closed(s);
  let gone = false;
  void done.then(() => (gone = true));
  let sent = 0;
  s.write(Buffer.concat([Buffer.from([0x10]), remainingLength(declared)]));
  const chunk = Buffer.alloc(64 * 1024, 0x61);
  while (!gone && sent < budget) {
    const more = s.write(chunk);
    sent += chunk.length;
    if (!more) {
      await Promise.race([new Promise((r) => s.once('drain', r)), done]);
    }
  }
  s.destroy();
  return sent;
}

describe('the in-process broker against hostile clients (real MQTT over TCP)', () => {
  let stand: Stand | undefined;
  let root: RootPeer;
  let cluster: ClusterHandle;
  const clients: NodeClient[] = [];

  const newNode = async (name: string): Promise<NodeRegisterResponse> => {
    const res = await register(cluster.port, cluster.nodeToken, { name, arch: 'amd64', cpuCores: 2, memoryMb: 2048 });
    expect(res.status).toBe(200);
    return res.json as unknown as NodeRegisterResponse;
  };
  const connectNode = async (reg: NodeRegisterResponse, clientId?: string): Promise<NodeClient> => {
    const c = await NodeClient.connect(cluster.mqttPort, reg, clientId === undefined ? {} : { clientId });
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    stand = await startStand({
      token: CLUSTER_TOKEN,
      log: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
      config: {
        clusterName: 'broker-cluster',
        port: 0,
        host: '127.0.0.1',
        mqttPort: 0,
        mqttMaxPacketBytes: 64 * 1024,
        mqttMaxConnectionsPerAddress: PER_ADDRESS,
        nodeLivenessMs: 1500,
        syncIntervalMs: 1000,
        resourcesIntervalMs: 300,
      },
    });
    ({ root, cluster } = stand);
  });

  afterAll(async () => {
    for (const c of clients) {
      await c.close().catch(() => undefined);
    }
    await stopStand(stand);
  });

  it('drops an oversized CONNECT before buffering it: memory stays bounded', async () => {
    global.gc?.();
    const before = process.memoryUsage().rss;
    // Three clients each declaring a 150 MB CONNECT and sending up to 40 MB of it.
    const sent = await Promise.all([0, 1, 2].map(() => floodConnect(cluster.mqttPort, 150_000_000, 40_000_000)));
    const grown = process.memoryUsage().rss - before;
    for (const s of sent) {
      expect(s).toBeLessThan(40_000_000);
    }
    expect(grown).toBeLessThan(48 * 1024 * 1024);
  });

  it('drops a CONNECT over the unauthenticated limit without answering it', async () => {
    const s = await rawSocket(cluster.mqttPort);
    s.on('error', () => undefined);
    const answered: Buffer[] = [];
    s.on('data', (d: Buffer) => answered.push(d));
    // A well-formed MQTT 3.1.1 CONNECT with a 17 KiB password: before the fix the broker read it
    // all and answered CONNACK "bad user name or password".
    const str = (b: Buffer): Buffer => Buffer.concat([Buffer.from([b.length >> 8, b.length & 0xff]), b]);
    const body = Buffer.concat([
      str(Buffer.from('MQTT')),
      Buffer.from([4, 0xc2, 0, 60]),
      str(Buffer.from('probe')),
      str(Buffer.from('someone')),
      str(Buffer.alloc(17 * 1024, 0x61)),
    ]);
    s.write(Buffer.concat([Buffer.from([0x10]), remainingLength(body.length), body]));
    await closed(s);
    expect(answered).toEqual([]);
  });

  it('disconnects an authenticated node that sends a packet over MQTT_MAX_PACKET_BYTES', async () => {
    const node = await connectNode(await newNode('big-sender'));
    const gone = new Promise<void>((resolve) => node.client.once('close', () => resolve()));
    node.client.publish(NodeTopics.information(node.id), Buffer.alloc(65 * 1024, 0x20), { qos: 0 });
    await gone;
  });

  it("does not let a node's client id kick another node off", async () => {
    const victim = await newNode('victim');
    const attacker = await newNode('kicker');
    const v = await connectNode(victim, `canopy-node-${victim.id}`);
    await v.subscribeControl();
    let kicked = false;
    v.client.on('close', () => (kicked = true));
    // Same client id, the attacker's own valid login.
    const a = await connectNode(attacker, `canopy-node-${victim.id}`);
    await a.subscribeControl();
    await a.heartbeat();
    await waitFor('the attacker to get its own sync', () => a.on('control/sync')[0]);
    // The victim is still connected and still served.
    await v.heartbeat();
    await waitFor('the victim to get its sync', () => v.on('control/sync')[0]);
    expect(kicked).toBe(false);
    expect(a.received.filter((m) => m.topic.includes(victim.id))).toEqual([]);
  });

  it('limits connections per address and frees the slot when one closes', async () => {
    const sockets: Socket[] = [];
    const refused: Socket[] = [];
    for (let i = 0; i < PER_ADDRESS + 4; i++) {
      const s = await rawSocket(cluster.mqttPort);
      s.on('error', () => undefined);
      sockets.push(s);
      s.once('close', () => refused.push(s));
    }
    await waitFor('the broker to refuse the connections over the limit', () => refused.length >= 4);
    for (const s of sockets) {
      s.destroy();
    }
    // With the raw sockets gone a node logs in again.
    await Promise.all(sockets.map(closed));
    const again = await connectNode(await newNode('after-limit'));
    expect(again.client.connected).toBe(true);
  });

  it('survives 2,000 fuzzed payloads on every node→cluster topic with no state change', async () => {
    const reg = await newNode('fuzzed');
    const node = await connectNode(reg);
    await node.subscribeControl();
    const statusesBefore = root.statuses.length;
    const validBeat = {
      cpuCores: 2,
      cpuPercent: 5,
      memoryTotalMb: 2048,
      memoryFreeMb: 1500,
      arch: 'amd64',
      at: Date.now(),
    };
    // A valid heartbeat with one field wrong or missing: the closest an invalid message comes.
    const numericKeys = ['cpuCores', 'cpuPercent', 'memoryTotalMb', 'memoryFreeMb', 'at'];
    const brokenBeat = fc.oneof(
      fc
        .tuple(fc.constantFrom(...numericKeys), fc.oneof(fc.string(), fc.constant(null), fc.object(), fc.constant(-1)))
        .map(([k, v]) => JSON.stringify({ ...validBeat, [k]: v })),
      fc
        .oneof(fc.constant(null), fc.integer(), fc.constant(''), fc.object())
        .map((v) => JSON.stringify({ ...validBeat, arch: v })),
      fc.constantFrom(...Object.keys(validBeat)).map((k) => JSON.stringify({ ...validBeat, [k]: undefined })),
    );
    const payload = fc.oneof(
      fc.uint8Array({ maxLength: 512 }).map((b) => Buffer.from(b)),
      fc.string({ maxLength: 256 }),
      fc.jsonValue().map((v) => JSON.stringify(v)),
      fc.object().map((o) => JSON.stringify(o)),
      brokenBeat,
    );
    for (const kind of NODE_TO_CLUSTER) {
      const topic = `nodes/${reg.id}/${kind}`;
      const samples = fc.sample(payload, Number(process.env.FUZZ_RUNS ?? 2000));
      for (let i = 0; i < samples.length; i += 100) {
        await Promise.all(samples.slice(i, i + 100).map((p) => node.client.publishAsync(topic, p, { qos: 1 })));
      }
    }
    // Still up on both wires, and nothing moved: the node never turned active (no sync sent to it),
    // no instance status went up.
    const health = await fetch(`http://127.0.0.1:${cluster.port}/health`);
    expect(health.status).toBe(200);
    expect(node.client.connected).toBe(true);
    expect(node.on('control/sync')).toEqual([]);
    expect(root.statuses.length).toBe(statusesBefore);
    // The same pipeline accepts a valid heartbeat, so the observation above could have failed.
    await node.heartbeat();
    await waitFor('control/sync after a valid heartbeat', () => node.on('control/sync')[0]);
  });
});

describe('the in-process broker with a small total connection limit', () => {
  let dataDir: string;
  let root: RootPeer;
  let cluster: ClusterHandle;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'canopy-broker-total-'));
    root = new RootPeer(await freePort(), CLUSTER_TOKEN);
    await root.start();
    cluster = await startCluster(
      {
        rootUrl: `http://127.0.0.1:${root.port}`,
        clusterToken: CLUSTER_TOKEN,
        clusterName: 'total-cluster',
        port: 0,
        host: '127.0.0.1',
        mqttPort: 0,
        // The cluster reads its own broker in process: all four are for nodes.
        mqttMaxConnections: 4,
        dataDir,
        nodeLivenessMs: 1500,
        syncIntervalMs: 1000,
      },
      pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
    );
  });

  afterAll(async () => {
    await cluster?.stop();
    await root?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('closes connections over MQTT_MAX_CONNECTIONS at once and keeps the cluster serving', async () => {
    const sockets: Socket[] = [];
    const refused: Socket[] = [];
    for (let i = 0; i < 6; i++) {
      const s = await rawSocket(cluster.mqttPort);
      s.on('error', () => undefined);
      s.once('close', () => refused.push(s));
      sockets.push(s);
    }
    await waitFor('two refusals', () => refused.length >= 2);
    expect(refused).toHaveLength(2);
    for (const s of sockets) {
      s.destroy();
    }
    await Promise.all(sockets.map(closed));
    const health = (await (await fetch(`http://127.0.0.1:${cluster.port}/health`)).json()) as Record<string, unknown>;
    expect(health.status).toBe('ok');
  });
});
