import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NodeRegisterResponse } from '@canopy/schema';
import { freePort, makeTestPki, waitFor, type TestPki } from '@canopy/testing';
import { connectAsync, type MqttClient } from 'mqtt';
import pino from 'pino';
import { startCluster, type ClusterHandle } from '../src';
import type { ClusterConfigInit } from '../src/config/cluster-config';
import { nodeClientId } from '../src/mqtt/mosquitto-dynsec.credentials';
import { NodeClient, register } from './support/node-client';
import { stopChild } from './support/mosquitto';
import { RootPeer } from './support/root-peer';

jest.setTimeout(30_000);

const JOIN = 'join-token-for-nodes';
const log = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });

/** An MQTTS connection verified against `ca`; a refusal comes back as its message. */
async function dialTls(port: number, ca: string, reg: NodeRegisterResponse): Promise<MqttClient | string> {
  try {
    return await connectAsync(
      `mqtts://127.0.0.1:${port}`,
      {
        ca: readFileSync(ca),
        rejectUnauthorized: true,
        username: reg.mqtt.username,
        password: reg.mqtt.password,
        clientId: nodeClientId(reg.id),
        protocolVersion: 4,
        reconnectPeriod: 0,
        connectTimeout: 5000,
      },
      false,
    );
  } catch (err) {
    // TLS errors come from another realm than jest's: compare messages, not constructors.
    return String((err as Error).message);
  }
}

async function joinNode(cluster: ClusterHandle, name: string): Promise<NodeRegisterResponse> {
  const res = await register(cluster.port, JOIN, { name, arch: 'amd64', cpuCores: 2, memoryMb: 2048 });
  expect(res.status).toBe(200);
  return res.json as unknown as NodeRegisterResponse;
}

/** MQTTS from operator-provided certificates, in-process broker and Mosquitto; peers verify a CA. */
describe('MQTT over TLS', () => {
  let dir: string;
  let pki: TestPki;
  let other: TestPki;
  let root: RootPeer;
  const open: MqttClient[] = [];

  const baseConfig = async (): Promise<ClusterConfigInit> => ({
    rootUrl: `http://127.0.0.1:${root.port}`,
    clusterToken: 'tok',
    clusterName: 'tls',
    port: 0,
    host: '127.0.0.1',
    mqttPort: 0,
    dataDir: join(dir, `data-${await freePort()}`),
    nodeToken: JOIN,
    nodeLivenessMs: 1500,
    syncIntervalMs: 1000,
  });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'canopy-mqtt-tls-'));
    pki = makeTestPki(dir, 'canopy');
    other = makeTestPki(dir, 'stranger');
    root = new RootPeer(await freePort(), 'tok');
    await root.start();
  });

  afterAll(async () => {
    for (const c of open) {
      await c.endAsync(true).catch(() => undefined);
    }
    await root?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it.each([
    ['in the cluster process', 0],
    ['in 2 broker workers', 2],
  ])(
    'in-process broker (%s): MQTTS only, nodes told so, a certificate of another CA refused',
    async (_mode, workers) => {
      const cluster = await startCluster(
        {
          ...(await baseConfig()),
          mqttBrokerWorkers: workers,
          mqttTlsCertFile: pki.serverCert,
          mqttTlsKeyFile: pki.serverKey,
          mqttCaFile: pki.caCert,
        },
        log,
      );
      try {
        const reg = await joinNode(cluster, 'tls-edge');
        expect(reg.MQTT_BROKER_TLS).toBe(true);
        const node = await NodeClient.connect(cluster.mqttPort, reg, {
          protocol: 'mqtts',
          ca: readFileSync(pki.caCert),
          rejectUnauthorized: true,
        });
        open.push(node.client);
        await node.subscribeControl();
        await node.heartbeat();
        await waitFor('control/sync over MQTTS', () => node.on('control/sync')[0]);

        // A node trusting another CA does not accept this broker.
        const stranger = await dialTls(cluster.mqttPort, other.caCert, reg);
        expect(stranger).toEqual(expect.stringMatching(/certificate/i));
        // Plain MQTT is not offered on the TLS port: a CONNECT in the clear gets the socket closed.
        const socket = connect(cluster.mqttPort, '127.0.0.1');
        const closed = new Promise((resolve) => socket.once('close', () => resolve(true)));
        socket.on('error', () => undefined);
        socket.write(Buffer.from([0x10, 0x0c, 0x00, 0x04, 0x4d, 0x51, 0x54, 0x54, 0x04, 0x02, 0x00, 0x3c, 0x00, 0x00]));
        expect(await closed).toBe(true);
      } finally {
        await cluster.stop();
      }
    },
  );

  describe('Mosquitto with an MQTTS listener and dynamic security', () => {
    let mosquitto: ChildProcess;
    let port: number;
    const adminPassword = 'tls-admin-password';

    beforeAll(async () => {
      port = await freePort();
      execFileSync('mosquitto_ctrl', ['dynsec', 'init', join(dir, 'dynsec.json'), 'canopy-admin', adminPassword]);
      writeFileSync(
        join(dir, 'mosquitto.conf'),
        [
          'per_listener_settings false',
          'allow_anonymous false',
          'plugin /usr/lib/x86_64-linux-gnu/mosquitto_dynamic_security.so',
          `plugin_opt_config_file ${join(dir, 'dynsec.json')}`,
          'persistence false',
          `listener ${port} 127.0.0.1`,
          `certfile ${pki.serverCert}`,
          `keyfile ${pki.serverKey}`,
        ].join('\n') + '\n',
      );
      if (process.getuid?.() === 0) {
        execFileSync('chown', ['-R', 'mosquitto', dir]);
      }
      mosquitto = spawn('/usr/sbin/mosquitto', ['-c', join(dir, 'mosquitto.conf')], { stdio: 'ignore' });
    });

    afterAll(async () => {
      await stopChild(mosquitto);
    });

    const mosquittoConfig = async (ca: string): Promise<ClusterConfigInit> => ({
      ...(await baseConfig()),
      mqttUrl: `mqtts://127.0.0.1:${port}`,
      mqttUsername: 'canopy-admin',
      mqttPassword: adminPassword,
      mqttDynsec: true,
      mqttCaFile: ca,
      mqttAdvertisedHost: '127.0.0.1',
    });

    it('the cluster and its nodes meet at Mosquitto over MQTTS, verified against the CA', async () => {
      const cluster = await startCluster(await mosquittoConfig(pki.caCert), log);
      try {
        const reg = await joinNode(cluster, 'tls-mosq');
        expect(reg.MQTT_BROKER_TLS).toBe(true);
        const node = await NodeClient.connect(port, reg, {
          protocol: 'mqtts',
          ca: readFileSync(pki.caCert),
          rejectUnauthorized: true,
          clientId: nodeClientId(reg.id),
        });
        open.push(node.client);
        await node.subscribeControl();
        await node.heartbeat();
        await waitFor('control/sync through Mosquitto over MQTTS', () => node.on('control/sync')[0]);
        expect(await dialTls(port, other.caCert, reg)).toEqual(expect.stringMatching(/certificate/i));
      } finally {
        await cluster.stop();
      }
    });

    it('a cluster trusting another CA does not start against this broker', async () => {
      await expect(startCluster(await mosquittoConfig(other.caCert), log)).rejects.toThrow(/certificate/i);
    });
  });
});
