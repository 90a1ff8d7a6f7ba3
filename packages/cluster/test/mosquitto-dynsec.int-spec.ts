import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NodeTopics, type NodeRegisterResponse } from '@canopy/schema';
import { connectAsync, type MqttClient } from 'mqtt';
import { freePort, waitFor } from '@canopy/testing';
import pino from 'pino';
import { startCluster, type ClusterHandle } from '../src';
import { RandomIdGenerator } from '../src/common/clock';
import { completeClusterConfig, type ClusterConfigInit } from '../src/config/cluster-config';
import { MosquittoDynsecCredentials, nodeClientId } from '../src/mqtt/mosquitto-dynsec.credentials';
import { MqttAccess } from '../src/mqtt/mqtt-access';
import { NodeClient, register } from './support/node-client';
import { stopChild } from './support/mosquitto';
import { RootPeer } from './support/root-peer';

jest.setTimeout(30_000);

const MOSQUITTO = '/usr/sbin/mosquitto';
const PLUGIN = '/usr/lib/x86_64-linux-gnu/mosquitto_dynamic_security.so';
const ADMIN = 'canopy-admin';
const JOIN = 'join-token-for-nodes';
const log = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });

/** Connects and answers the CONNACK refusal as a value instead of throwing. */
async function tryConnect(
  port: number,
  username: string,
  password: string,
  clientId: string,
): Promise<MqttClient | Error> {
  try {
    return await connectAsync(
      `mqtt://127.0.0.1:${port}`,
      { username, password, clientId, protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 5000 },
      false,
    );
  } catch (err) {
    return err as Error;
  }
}

/** MQTT_DYNSEC: the cluster gives every node its own login at a real Mosquitto 2, scoped to `nodes/<id>/…`. */
describe('per-node identities at Mosquitto (dynamic security)', () => {
  const adminPassword = randomBytes(12).toString('hex');
  let dir: string;
  let mosquitto: ChildProcess;
  let port: number;
  let root: RootPeer;
  let cluster: ClusterHandle;
  let config: ClusterConfigInit;
  const open: Array<{ endAsync(force?: boolean): Promise<void> }> = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'canopy-dynsec-'));
    port = await freePort();
    execFileSync('mosquitto_ctrl', ['dynsec', 'init', join(dir, 'dynsec.json'), ADMIN, adminPassword]);
    writeFileSync(
      join(dir, 'mosquitto.conf'),
      [
        `listener ${port} 127.0.0.1`,
        'allow_anonymous false',
        `plugin ${PLUGIN}`,
        `plugin_opt_config_file ${join(dir, 'dynsec.json')}`,
        'persistence false',
      ].join('\n') + '\n',
    );
    // Started as root, Mosquitto drops to its own user, which must read and rewrite the plugin's file.
    if (process.getuid?.() === 0) {
      execFileSync('chown', ['-R', 'mosquitto', dir]);
    }
    mosquitto = spawn(MOSQUITTO, ['-c', join(dir, 'mosquitto.conf')], { stdio: 'ignore' });
    root = new RootPeer(await freePort(), 'tok');
    await root.start();
    config = {
      rootUrl: `http://127.0.0.1:${root.port}`,
      clusterToken: 'tok',
      clusterName: 'dynsec',
      port: 0,
      host: '127.0.0.1',
      mqttPort: 0,
      mqttUrl: `mqtt://127.0.0.1:${port}`,
      mqttUsername: ADMIN,
      mqttPassword: adminPassword,
      mqttDynsec: true,
      mqttAdvertisedHost: '127.0.0.1',
      dataDir: join(dir, 'data'),
      nodeToken: JOIN,
      nodeLivenessMs: 1500,
      syncIntervalMs: 1000,
    };
    // The cluster's start waits until it has connected, however long Mosquitto takes to come up.
    cluster = await startCluster(config, log);
  });

  afterAll(async () => {
    for (const c of open) {
      await c.endAsync(true).catch(() => undefined);
    }
    await cluster?.stop();
    await root?.stop();
    await stopChild(mosquitto);
    rmSync(dir, { recursive: true, force: true });
  });

  async function join_(name: string): Promise<NodeRegisterResponse> {
    const res = await register(cluster.port, JOIN, { name, arch: 'amd64', cpuCores: 2, memoryMb: 2048 });
    expect(res.status).toBe(200);
    return res.json as unknown as NodeRegisterResponse;
  }

  async function connectNode(reg: NodeRegisterResponse): Promise<NodeClient> {
    const node = await NodeClient.connect(port, reg, { clientId: nodeClientId(reg.id) });
    open.push(node.client);
    return node;
  }

  it('hands each node its own login, and the cluster talks to it through Mosquitto', async () => {
    const reg = await join_('edge-a');
    expect(reg.mqtt.username).toBe(reg.id);
    expect(reg.MQTT_BROKER_PORT).toBe(port);
    const node = await connectNode(reg);
    expect(await node.subscribeControl()).toEqual([1]);
    await node.heartbeat();
    await waitFor('control/sync through Mosquitto', () => node.on('control/sync')[0]);
  });

  it("keeps node A out of node B's topics", async () => {
    const a = await connectNode(await join_('iso-a'));
    const b = await connectNode(await join_('iso-b'));
    // Subscribing to B's commands, directly or by wildcard, is refused (SUBACK 0x80: mqtt.js rejects).
    await expect(a.client.subscribeAsync(NodeTopics.controlWildcard(b.id), { qos: 1 })).rejects.toThrow(
      /Subscribe error/,
    );
    await expect(a.client.subscribeAsync('nodes/+/control/#', { qos: 1 })).rejects.toThrow(/Subscribe error/);
    expect(await a.subscribeControl()).toEqual([1]);
    expect(await b.subscribeControl()).toEqual([1]);

    // An observer with the admin login sees everything that reaches the broker's subscribers.
    const observer = await connectAsync(`mqtt://127.0.0.1:${port}`, {
      username: ADMIN,
      password: adminPassword,
      protocolVersion: 4,
      reconnectPeriod: 0,
    });
    open.push(observer);
    const seen: string[] = [];
    observer.on('message', (topic, payload) => seen.push(`${topic} ${payload.toString('utf8')}`));
    await observer.subscribeAsync('nodes/#', { qos: 1 });
    // A forges B's heartbeat, then publishes its own marker: the marker arrives, the forgery never does.
    await a.publish(NodeTopics.information(b.id), 'forged');
    await a.publish(NodeTopics.job(a.id), 'marker-a');
    await waitFor('A marker', () => seen.some((s) => s.endsWith('marker-a')));
    expect(seen.filter((s) => s.includes('forged'))).toEqual([]);

    // The cluster answers B's heartbeat with a sync for B, A's with one for A: A never sees B's.
    await b.heartbeat();
    await waitFor('B synced', () => b.on('control/sync')[0]);
    await a.heartbeat();
    await waitFor('A synced', () => a.on('control/sync')[0]);
    expect(a.received.filter((m) => m.topic.includes(b.id))).toEqual([]);
  });

  it("refuses a node that takes another node's client id, and a replaced password", async () => {
    const a = await join_('cid-a');
    const b = await join_('cid-b');
    const stolen = await tryConnect(port, a.mqtt.username, a.mqtt.password, nodeClientId(b.id));
    expect(stolen).toBeInstanceOf(Error);
    // Re-registering a known name takes its own credential (node identity), and rotates the broker login.
    const res = await register(cluster.port, a.credential ?? '', {
      name: 'cid-a',
      arch: 'amd64',
      cpuCores: 2,
      memoryMb: 2048,
    });
    expect(res.status).toBe(200);
    const again = res.json as unknown as NodeRegisterResponse;
    expect(again.id).toBe(a.id);
    const old = await tryConnect(port, a.mqtt.username, a.mqtt.password, nodeClientId(a.id));
    expect(old).toBeInstanceOf(Error);
    const fresh = await tryConnect(port, again.mqtt.username, again.mqtt.password, nodeClientId(a.id));
    expect(fresh).not.toBeInstanceOf(Error);
    open.push(fresh as MqttClient);
  });

  it("closes a revoked node's connection and refuses its login afterwards", async () => {
    const credentials = new MosquittoDynsecCredentials(
      new MqttAccess(completeClusterConfig(config), new RandomIdGenerator()),
      log,
    );
    await credentials.start();
    try {
      await credentials.grant('revokedNode1', 'pw-revoked');
      const client = await tryConnect(port, 'revokedNode1', 'pw-revoked', nodeClientId('revokedNode1'));
      expect(client).not.toBeInstanceOf(Error);
      const connected = client as MqttClient;
      open.push(connected);
      const closed = new Promise((resolve) => connected.once('close', () => resolve(undefined)));
      await credentials.revoke('revokedNode1');
      await closed;
      expect(await tryConnect(port, 'revokedNode1', 'pw-revoked', nodeClientId('revokedNode1'))).toBeInstanceOf(Error);
    } finally {
      await credentials.stop();
    }
  });
});
