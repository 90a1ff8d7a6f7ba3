import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NodeTopics, type NodeRegisterResponse } from '@canopy/schema';
import pino from 'pino';
import { startCluster, type ClusterHandle } from '../src';
import { NodeClient, register } from './support/node-client';
import { stopChild } from './support/mosquitto';
import { RootPeer } from './support/root-peer';
import { freePort, waitFor } from '@canopy/testing';

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
  // The cluster's warnings, the marker that it has seen (and dropped) a message.
  const warnings: { nodeId?: string; topic?: string; msg: string }[] = [];
  const log = pino(
    { level: 'warn' },
    {
      write: (line: string) => {
        warnings.push(JSON.parse(line) as { msg: string });
        if (process.env.TEST_LOG_LEVEL !== undefined) {
          process.stdout.write(line);
        }
      },
    },
  );

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
        resourcesIntervalMs: 500,
      },
      log,
    );
  });

  afterAll(async () => {
    for (const c of clients) {
      await c.close();
    }
    await cluster?.stop();
    await root?.stop();
    await stopChild(mosquitto);
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
      // the node's own registration credential (node identity), not a broker login
      credential: expect.any(String),
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
    // The marker: the cluster has read the stranger's last message and dropped it.
    await waitFor('the stranger dropped', () =>
      warnings.find(
        (w) => w.msg === 'message from unknown node dropped' && w.topic === NodeTopics.job('strangerNode1'),
      ),
    );
    // ... and the root's next resource report (periodic) still counts the one registered node.
    const reports = root.resources.length;
    const next = await waitFor('a resource report after the drop', () => root.resources[reports]);
    expect(stranger.on('control/sync')).toEqual([]);
    expect(next).toMatchObject({ nodes: 1 });
  });
});
