import { connect, type MqttClient } from 'mqtt';
import pino from 'pino';
import { MQTT_CONNACK_TIMEOUT_MS, type NodeRegisterResponse } from '@canopy/schema';
import { waitFor } from '@canopy/testing';
import { NodeClient, register } from './support/node-client';
import { PacedNode } from './support/paced-node';
import { startStand, stopStand, type Stand } from './support/stand';

const CLUSTER_TOKEN = 'cluster-secret-token';
jest.setTimeout(60_000);

interface Health {
  nodes: number;
  activeNodes: number;
  reportIntervalMs: number;
  liveness: { disrupted: boolean };
}

async function health(stand: Stand): Promise<Health> {
  const res = await fetch(`http://127.0.0.1:${stand.cluster.port}/health`);
  return (await res.json()) as Health;
}

/** Registers like the node engine: 429 and 5xx are retried after a jittered, doubling wait. */
async function registerRetrying(stand: Stand, name: string): Promise<{ reg: NodeRegisterResponse; refused: number }> {
  let refused = 0;
  let delay = 100;
  for (;;) {
    const res = await register(stand.cluster.port, stand.cluster.nodeToken, {
      name,
      arch: 'amd64',
      cpuCores: 2,
      memoryMb: 2048,
    });
    if (res.status === 200) {
      return { reg: res.json as unknown as NodeRegisterResponse, refused };
    }
    expect(res.status).toBe(429);
    refused++;
    await new Promise((r) => setTimeout(r, delay * (0.5 + Math.random())));
    delay = Math.min(2000, delay * 2);
  }
}

/**
 * Load shedding (issue 14) at a capacity of 4 reports a second: four nodes reporting every 300 ms
 * are 13 a second, so the cluster tells them to report every 1.2 s (3.3 a second), widens its
 * liveness window with the interval so none of them goes inactive, and tells the one node left
 * after the others leave to report every 300 ms again.
 */
describe('report pace under a low configured capacity (real HTTP, MQTT)', () => {
  let stand: Stand | undefined;
  const nodes: PacedNode[] = [];

  beforeAll(async () => {
    stand = await startStand({
      token: CLUSTER_TOKEN,
      log: pino({ level: 'silent' }),
      config: {
        nodeReportIntervalMs: 300,
        nodeReportsPerSecond: 4,
        // 4 reports missed at 300 ms; without the widening a node on 1.2 s would go inactive.
        nodeLivenessMs: 1200,
        nodeLostMs: 3000,
        // The event-loop signal is the planner's other input (unit-tested); here only the rate
        // decides, so a busy test machine cannot change the interval on its own.
        overloadLoopDelayMs: 60_000,
      },
    });
    for (let i = 0; i < 4; i++) {
      const { reg } = await registerRetrying(stand, `paced-${i}`);
      const client = await NodeClient.connect(stand.cluster.mqttPort, reg);
      await client.subscribeControl();
      const node = new PacedNode(client, 300);
      node.start();
      nodes.push(node);
    }
  });

  afterAll(async () => {
    for (const n of nodes) {
      await n.close().catch(() => undefined);
    }
    await stopStand(stand);
  });

  it('lengthens the interval, the nodes comply, and none of them is judged inactive or lost', async () => {
    const s = stand!;
    await waitFor('all four active', async () => (await health(s)).activeNodes === 4 || undefined);
    await waitFor('the cluster asking for 1.2 s', async () => (await health(s)).reportIntervalMs === 1200 || undefined);
    await waitFor('every node reporting every 1.2 s', () => nodes.every((n) => n.intervalMs === 1200) || undefined);
    const from = Date.now();
    // Until each node has sent five heartbeats at the long interval (6 s, five of the old windows),
    // the cluster must see all four active at every look.
    let looks = 0;
    await waitFor(
      'five long-interval heartbeats from every node',
      async () => {
        const h = await health(s);
        looks++;
        expect(h.activeNodes).toBe(4);
        expect(h.reportIntervalMs).toBe(1200);
        return nodes.every((n) => n.beats.filter((b) => b.at > from && b.intervalMs === 1200).length >= 5) || undefined;
      },
      30_000,
    );
    expect(looks).toBeGreaterThan(10);
    // Heartbeats really came less often: at most one every ~1.2 s per node since the change.
    for (const n of nodes) {
      const recent = n.beats.filter((b) => b.at > from);
      expect(recent.length).toBeLessThanOrEqual(Math.ceil((Date.now() - from) / 1200) + 1);
    }
  });

  it('returns to the base interval once load falls, and keeps the remaining node active', async () => {
    const s = stand!;
    const stay = nodes[0]!;
    for (const n of nodes.splice(1)) {
      await n.close();
    }
    await waitFor(
      'the cluster asking for 300 ms again',
      async () => {
        const h = await health(s);
        expect(h.activeNodes).toBeGreaterThanOrEqual(1);
        return h.reportIntervalMs === 300 || undefined;
      },
      40_000,
    );
    await waitFor('the remaining node reporting every 300 ms', () => stay.intervalMs === 300 || undefined);
    const h = await health(s);
    expect(h.activeNodes).toBe(1);
    expect(h.nodes).toBe(4);
  });
});

/**
 * Admission (issue 14): with MQTT_CONNECT_RATE 5 and REGISTER_ADMISSION_RATE 10, forty nodes
 * registering and connecting at once are let in at those rates (connections over it wait in a
 * queue of five seconds' worth, the rest are turned away at once and retry with jittered backoff,
 * as the node engine does), and all of them get in.
 */
describe('connection and registration admission (real HTTP, MQTT)', () => {
  let stand: Stand | undefined;
  const clients: MqttClient[] = [];
  const N = 40;

  beforeAll(async () => {
    stand = await startStand({
      token: CLUSTER_TOKEN,
      log: pino({ level: 'silent' }),
      // Each node sends one heartbeat only: the window outlasts the whole admission.
      // The per-address limit (against guessing tokens) lifted: all forty come from 127.0.0.1.
      config: { mqttConnectRate: 5, registerAdmissionRate: 10, registerRateLimit: 10_000, nodeLivenessMs: 60_000 },
    });
  });

  afterAll(async () => {
    for (const c of clients) {
      await c.endAsync(true).catch(() => undefined);
    }
    await stopStand(stand);
  });

  it('admits registrations and connections at the configured rates, and every node still gets in', async () => {
    const s = stand!;
    const t0 = Date.now();
    const regs = await Promise.all(Array.from({ length: N }, (_, i) => registerRetrying(s, `admitted-${i}`)));
    const registeredMs = Date.now() - t0;
    expect(regs.reduce((a, r) => a + r.refused, 0)).toBeGreaterThan(0);
    // 10 at once, then 10 a second: the last of 40 cannot be in before ~3 s.
    expect(registeredMs).toBeGreaterThanOrEqual(2500);

    const t1 = Date.now();
    let closedBeforeConnect = 0;
    const connected = regs.map(
      ({ reg }) =>
        new Promise<number>((resolve) => {
          const client = connect(`mqtt://127.0.0.1:${s.cluster.mqttPort}`, {
            clientId: `canopy-node-${reg.id}`,
            username: reg.mqtt.username,
            password: reg.mqtt.password,
            protocolVersion: 4,
            clean: false,
            reconnectPeriod: 200 + Math.floor(Math.random() * 600),
            connectTimeout: MQTT_CONNACK_TIMEOUT_MS,
          });
          clients.push(client);
          client.on('close', () => {
            if (!client.connected) {
              closedBeforeConnect++;
            }
          });
          client.once('connect', () => {
            void client.publishAsync(
              `nodes/${reg.id}/information`,
              JSON.stringify({
                cpuCores: 2,
                cpuPercent: 1,
                memoryTotalMb: 2048,
                memoryFreeMb: 1024,
                arch: 'amd64',
                at: Date.now(),
              }),
            );
            resolve(Date.now());
          });
        }),
    );
    const times = await Promise.all(connected);
    const connectedMs = Math.max(...times) - t1;
    // 5 at once, then 5 a second: the other 35 wait in line (20 s of the rate fit), none is turned
    // away to retry, and the last is in after ~7 s.
    expect(closedBeforeConnect).toBe(0);
    expect(connectedMs).toBeGreaterThanOrEqual(6000);
    await waitFor('all forty active', async () => (await health(s)).activeNodes === N || undefined, 20_000);
  });
});
