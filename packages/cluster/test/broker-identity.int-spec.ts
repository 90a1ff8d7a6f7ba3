import { connect as tcpConnect, type Socket } from 'node:net';
import { NodeTopics, type NodeRegisterResponse } from '@canopy/schema';
import { connectAsync } from 'mqtt';
import { waitFor } from '@canopy/testing';
import type { ClusterHandle } from '../src';
import { NodeClient, register } from './support/node-client';
import { spec } from './support/root-peer';
import { startStand, stopStand, type Stand } from './support/stand';

jest.setTimeout(30_000);

/** Resolves with the socket once connected, or with the connection error. */
function dial(host: string, port: number): Promise<Socket | Error> {
  return new Promise((resolve) => {
    const s = tcpConnect(port, host, () => resolve(s));
    s.once('error', (err) => resolve(err));
  });
}

/**
 * Variations of the assessment's broker probes that the hardening suite does not name, over real
 * MQTT to the in-process broker with its defaults: another node's client id without its password,
 * wildcard and `$SYS` subscriptions, a will aimed at another node, a CONNECT length sent slowly,
 * and where the broker listens. Run twice: aedes in the cluster's process, and in two broker
 * workers (MQTT_BROKER_WORKERS), where logins are judged by the cluster over IPC.
 */
describe.each([
  ['in the cluster process', 0],
  ['in 2 broker workers', 2],
])('the in-process broker (%s): identities and what reaches whom', (_mode, mqttBrokerWorkers) => {
  let stand: Stand | undefined;
  let cluster: ClusterHandle;
  const clients: NodeClient[] = [];

  const newNode = async (name: string): Promise<NodeRegisterResponse> =>
    (await register(cluster.port, cluster.nodeToken, { name, arch: 'amd64', cpuCores: 2, memoryMb: 2048 }))
      .json as unknown as NodeRegisterResponse;
  const connected = async (reg: NodeRegisterResponse, clientId: string): Promise<NodeClient> => {
    const c = await NodeClient.connect(cluster.mqttPort, reg, { clientId });
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    // No MQTT_HOST given: the embedded default.
    stand = await startStand({
      token: 'broker-identity-token',
      config: { clusterName: 'broker-identity', mqttBrokerWorkers },
    });
    ({ cluster } = stand);
  });

  afterAll(async () => {
    stand?.clients.push(...clients);
    await stopStand(stand);
  });

  it('listens on loopback only by default: another local address is refused', async () => {
    const loopback = await dial('127.0.0.1', cluster.mqttPort);
    expect(loopback).not.toBeInstanceOf(Error);
    (loopback as Socket).destroy();
    // 127.0.0.2 reaches this host too; only a socket bound to all interfaces would answer it.
    expect(await dial('127.0.0.2', cluster.mqttPort)).toMatchObject({ code: 'ECONNREFUSED' });
  });

  it("refuses another node's client id with a wrong password, and the node stays connected", async () => {
    const victim = await connected(await newNode('id-victim'), 'engine');
    let kicked = false;
    victim.client.on('close', () => (kicked = true));
    for (const clientId of ['engine', `${victim.id}/engine`]) {
      await expect(
        connectAsync(`mqtt://127.0.0.1:${cluster.mqttPort}`, {
          clientId,
          username: victim.id,
          password: 'not-its-password',
          reconnectPeriod: 0,
        }),
      ).rejects.toThrow(/Bad username or password/);
    }
    await victim.subscribeControl();
    await victim.heartbeat();
    await waitFor('control/sync on the node', () => victim.on('control/sync')[0]);
    expect(kicked).toBe(false);
  });

  it('refuses wildcard, $SYS and shared subscriptions beyond its own control topics; nothing of another node arrives', async () => {
    const other = await connected(await newNode('sub-other'), 'engine');
    await other.subscribeControl();
    const spy = await connected(await newNode('sub-spy'), 'engine');
    const filters = ['#', 'nodes/#', 'nodes/+/control/#', '+/+/control/sync', '$SYS/#', `$share/g/nodes/${other.id}/#`];
    for (const filter of [...filters, `nodes/${other.id}/control/#`, `nodes/${spy.id}/#`]) {
      await expect(spy.client.subscribeAsync(filter, { qos: 1 })).rejects.toThrow(/Subscribe error/);
    }
    expect(await spy.subscribeControl()).toEqual([1]);
    // The cluster now sends the other node its sync; the spy sees none of it.
    await other.heartbeat();
    await waitFor('control/sync on the other node', () => other.on('control/sync')[0]);
    await spy.heartbeat();
    await waitFor("control/sync on the spy's own topic", () => spy.on('control/sync')[0]);
    expect(spy.received.filter((m) => !m.topic.startsWith(`nodes/${spy.id}/`))).toEqual([]);
  });

  it("never delivers a will aimed at another node's control topic; a will on its own topic does arrive", async () => {
    const target = await connected(await newNode('will-target'), 'engine');
    await target.subscribeControl();
    const sender = await newNode('will-sender');
    const watcher = await connected(sender, 'watcher');
    await watcher.subscribeControl();
    const withWill = (clientId: string, topic: string, payload: unknown) =>
      connectAsync(`mqtt://127.0.0.1:${cluster.mqttPort}`, {
        clientId,
        username: sender.mqtt.username,
        password: sender.mqtt.password,
        reconnectPeriod: 0,
        will: { topic, payload: Buffer.from(JSON.stringify(payload)), qos: 1, retain: false },
      });
    const forged = await withWill('forger', NodeTopics.deploy(target.id), { forged: true });
    const beat = { cpuCores: 2, cpuPercent: 5, memoryTotalMb: 2048, memoryFreeMb: 1500, arch: 'amd64', at: Date.now() };
    const own = await withWill('own', NodeTopics.information(sender.id), beat);
    // An abrupt end makes the broker publish a connection's will, if its ACL lets it.
    forged.stream.destroy();
    own.stream.destroy();
    // The allowed will is a heartbeat: the cluster answers the sender with its sync, so wills are
    // published and the broker has handled both ends by now.
    await waitFor('control/sync after the own-topic will', () => watcher.on('control/sync')[0]);
    await target.heartbeat();
    await waitFor('control/sync on the target', () => target.on('control/sync')[0]);
    expect(target.received.filter((m) => JSON.stringify(m.body).includes('forged'))).toEqual([]);
  });

  it('drops a CONNECT declaring 150 MB as soon as its length bytes arrive, however slowly they come', async () => {
    const s = (await dial('127.0.0.1', cluster.mqttPort)) as Socket;
    s.on('error', () => undefined);
    let closedAt = 0;
    s.once('close', () => (closedAt = Date.now()));
    // 150 MB as MQTT's varint, one byte per event-loop turn of ours, the body never sent.
    const header = [0x10, 0x80, 0xa3, 0xc3, 0x47];
    for (const byte of header.slice(0, -1)) {
      s.write(Buffer.from([byte]));
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(closedAt).toBe(0);
    const lastAt = Date.now();
    s.write(Buffer.from([header[4] ?? 0]));
    await waitFor('the broker to hang up', () => closedAt !== 0, 5000);
    expect(closedAt - lastAt).toBeLessThan(2000);
  });

  it("sends a node only its own instances' specs: another node's sync and deploys never carry them or their secrets", async () => {
    const password = 'only-for-the-runner-pw-31337';
    const runner = await connected(await newNode('spec-runner'), 'engine');
    const bystander = await connected(await newNode('spec-bystander'), 'engine');
    for (const n of [runner, bystander]) {
      await n.subscribeControl();
      n.startHeartbeats(300);
    }
    const privateSpec = spec('svc-secretive', {
      registryAuth: { username: 'team', password, serveraddress: 'registry.example.org' },
      environment: ['API_KEY=env-secret-value-42'],
      constraints: [{ type: 'direct', node: 'spec-runner' }],
    });
    expect(await stand!.root.deploy(privateSpec)).toEqual({ ok: true });
    const deploy = await waitFor('control/deploy on the runner', () => runner.on('control/deploy')[0]);
    expect(deploy.body).toMatchObject({ registryAuth: { password }, environment: ['API_KEY=env-secret-value-42'] });
    // Syncs that went out after the deploy, to both: the runner's lists the instance.
    const syncsBefore = bystander.on('control/sync').length;
    await waitFor('a sync of the runner with its instance', () =>
      runner.on('control/sync').find((m) => JSON.stringify(m.body).includes('svc-secretive')),
    );
    await waitFor('a later sync of the bystander', () => bystander.on('control/sync').length > syncsBefore);
    const seen = JSON.stringify(bystander.received);
    for (const secret of ['svc-secretive', password, 'env-secret-value-42']) {
      expect(seen).not.toContain(secret);
    }
  });
});
