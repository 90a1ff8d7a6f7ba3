import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NodeTopics, type NodeRegisterResponse } from '@canopy/schema';
import pino from 'pino';
import { startCluster, type ClusterHandle } from '../src';
import { NodeClient, register } from './support/node-client';
import { RootPeer } from './support/root-peer';
import { freePort, sleep, waitFor } from './support/wait';

jest.setTimeout(20_000);

const MOSQUITTO = '/usr/sbin/mosquitto';

/** MQTT_URL mode: no in-process broker; the cluster and its nodes meet at a real Mosquitto. */
describe('cluster with an external broker (Mosquitto)', () => {
  let dir: string;
  let mosquitto: ChildProcess;
  let mqttPort: number;
  let root: RootPeer;
  let cluster: ClusterHandle;
  const clients: NodeClient[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'canopy-cluster-ext-'));
    mqttPort = await freePort();
    writeFileSync(
      join(dir, 'mosquitto.conf'),
      `listener ${mqttPort} 127.0.0.1\nallow_anonymous true\npersistence false\n`,
    );
    mosquitto = spawn(MOSQUITTO, ['-c', join(dir, 'mosquitto.conf')], { stdio: 'ignore' });
    root = new RootPeer(await freePort(), 'tok');
    await root.start();
    // The cluster's start waits until it has connected to the broker, however long Mosquitto takes to come up.
    cluster = await startCluster(
      {
        rootUrl: `http://127.0.0.1:${root.port}`,
        clusterToken: 'tok',
        clusterName: 'ext',
        port: 0,
        host: '127.0.0.1',
        mqttPort: 0,
        mqttUrl: `mqtt://127.0.0.1:${mqttPort}`,
        mqttNodeUsername: 'worker',
        mqttNodePassword: 'worker-pw',
        mqttAdvertisedHost: 'broker.example',
        dataDir: join(dir, 'data'),
        nodeToken: 'join-token-for-nodes',
        nodeLivenessMs: 1500,
        syncIntervalMs: 1000,
      },
      pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
    );
  });

  afterAll(async () => {
    for (const c of clients) {
      await c.close();
    }
    await cluster?.stop();
    await root?.stop();
    if (mosquitto && mosquitto.exitCode === null) {
      const exited = new Promise((resolve) => mosquitto.once('exit', resolve));
      mosquitto.kill('SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('hands nodes the configured broker login and address, and talks to them through it', async () => {
    expect(cluster.nodeToken).toBe('join-token-for-nodes');
    const res = await register(cluster.port, 'join-token-for-nodes', {
      name: 'edge',
      arch: 'amd64',
      cpuCores: 2,
      memoryMb: 2048,
    });
    expect(res.status).toBe(200);
    const reg = res.json as unknown as NodeRegisterResponse;
    expect(reg).toEqual({
      id: expect.any(String),
      MQTT_BROKER_PORT: mqttPort,
      MQTT_BROKER_HOST: 'broker.example',
      mqtt: { username: 'worker', password: 'worker-pw' },
    });

    const node = await NodeClient.connect(mqttPort, reg);
    clients.push(node);
    await node.subscribeControl();
    await node.heartbeat();
    await waitFor('control/sync through Mosquitto', () => node.on('control/sync')[0]);
  });

  it('ignores messages for node ids it never registered', async () => {
    // Mosquitto here has no ACL, so anyone can publish anywhere; the cluster itself must not care.
    const stranger = await NodeClient.connect(mqttPort, {
      id: 'strangerNode1',
      MQTT_BROKER_PORT: mqttPort,
      mqtt: { username: 'x', password: 'y' },
    });
    clients.push(stranger);
    await stranger.subscribeControl();
    await stranger.heartbeat();
    await stranger.publish(NodeTopics.job('strangerNode1'), { garbage: true });
    await sleep(500);
    expect(stranger.on('control/sync')).toEqual([]);
    expect(root.resources.at(-1)).toMatchObject({ nodes: 1 });
  });
});
