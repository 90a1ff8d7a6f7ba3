import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import type { NodeRegisterResponse } from '@canopy/schema';
import { waitFor } from '@canopy/testing';
import type { ClusterHandle } from '../src';
import { NodeClient, register } from './support/node-client';
import { startStand, stopStand, type Stand } from './support/stand';

jest.setTimeout(60_000);

const NODES = 8;

/** This process's children running the broker worker (the cluster under test runs in-process). */
function brokerWorkers(): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
        return ppid === process.pid && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('broker-worker.js');
      } catch {
        return false;
      }
    })
    .map(Number);
}

/** Established MQTT connections per process, read from the kernel (`ss -p`). */
function connectionsByPid(mqttPort: number): Map<number, number> {
  const out = execFileSync('ss', ['-Htnp', 'state', 'established', `( sport = :${mqttPort} )`]).toString();
  const counts = new Map<number, number>();
  for (const m of out.matchAll(/pid=(\d+)/g)) {
    counts.set(Number(m[1]), (counts.get(Number(m[1])) ?? 0) + 1);
  }
  return counts;
}

/**
 * MQTT_BROKER_WORKERS over real MQTT: the broker's connections are spread over worker processes
 * sharing one listening socket, and a worker killed with SIGKILL costs no node its place: its
 * nodes reconnect (to the other worker or the one started in its stead), log in again, are
 * answered again, and stay active throughout.
 */
describe('the in-process broker in 2 broker worker processes', () => {
  let stand: Stand | undefined;
  let cluster: ClusterHandle;
  const nodes: NodeClient[] = [];

  const activeNodes = async (): Promise<number> =>
    ((await (await fetch(`http://127.0.0.1:${cluster.port}/health`)).json()) as { activeNodes: number }).activeNodes;

  beforeAll(async () => {
    stand = await startStand({
      token: 'broker-workers-token',
      // Liveness well above a reconnect (~0.2–1 s), well below the test's length.
      config: { clusterName: 'broker-workers', mqttBrokerWorkers: 2, nodeLivenessMs: 5000 },
    });
    ({ cluster } = stand);
    for (let i = 0; i < NODES; i++) {
      const res = await register(cluster.port, cluster.nodeToken, {
        name: `bw-${i}`,
        arch: 'amd64',
        cpuCores: 2,
        memoryMb: 2048,
      });
      expect(res.status).toBe(200);
      const reg = res.json as unknown as NodeRegisterResponse;
      const node = await NodeClient.connect(cluster.mqttPort, reg, { reconnectPeriod: 200 });
      nodes.push(node);
      await node.subscribeControl();
      node.startHeartbeats(300);
    }
    stand.clients.push(...nodes);
  });

  afterAll(async () => {
    await stopStand(stand);
    // The workers end with the cluster: none is left behind.
    await waitFor('the broker workers to exit', () => brokerWorkers().length === 0, 10_000);
  });

  it('spreads the connections over both workers, none in the cluster process; every node is active', async () => {
    const workers = brokerWorkers();
    expect(workers).toHaveLength(2);
    await waitFor(`${NODES} active nodes`, async () => (await activeNodes()) === NODES);
    const counts = connectionsByPid(cluster.mqttPort);
    expect(counts.get(process.pid)).toBeUndefined();
    expect([...counts.keys()].sort()).toEqual([...workers].sort());
    expect([...counts.values()].reduce((a, b) => a + b, 0)).toBe(NODES);
    // Commands reach each node through whichever worker holds it.
    for (const node of nodes) {
      await waitFor(`control/sync on ${node.id}`, () => node.on('control/sync')[0]);
    }
  });

  it('survives kill -9 of a worker: its nodes reconnect and are served again, none goes inactive', async () => {
    const before = connectionsByPid(cluster.mqttPort);
    const [victim] = [...before.entries()].sort((a, b) => b[1] - a[1])[0] ?? [];
    expect(victim).toBeDefined();
    const survivor = brokerWorkers().find((pid) => pid !== victim);
    const lowestActive: number[] = [];
    const watch = setInterval(() => void activeNodes().then((n) => lowestActive.push(n)), 100);
    const syncsBefore = nodes.map((n) => n.on('control/sync').length);
    try {
      process.kill(victim ?? 0, 'SIGKILL');
      // A new worker takes the dead one's place, and every node is connected again.
      await waitFor(
        'a replacement worker',
        () => brokerWorkers().length === 2 && !brokerWorkers().includes(victim ?? 0),
        10_000,
      );
      await waitFor(
        `${NODES} reconnected`,
        () => nodes.every((n) => n.client.connected) && sum(connectionsByPid(cluster.mqttPort)) === NODES,
        10_000,
      );
      expect(brokerWorkers()).toContain(survivor);
      // Answered again after the reconnect: the login and the command path work through the workers.
      await waitFor(
        'a fresh control/sync on every node',
        () => nodes.every((n, i) => n.on('control/sync').length > (syncsBefore[i] ?? 0)),
        20_000,
      );
    } finally {
      clearInterval(watch);
    }
    expect(await activeNodes()).toBe(NODES);
    expect(Math.min(...lowestActive)).toBe(NODES);
  });
});

function sum(counts: Map<number, number>): number {
  return [...counts.values()].reduce((a, b) => a + b, 0);
}
