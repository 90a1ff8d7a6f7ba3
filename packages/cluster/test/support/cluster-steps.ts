import { type NodeRegisterResponse } from '@canopy/schema';
import { waitFor } from '@canopy/testing';
import { NodeClient, register } from './node-client';
import { spec } from './root-peer';
import { startStand as startSharedStand, stopStand, type Stand } from './stand';

/**
 * The steps the cluster orchestrator's tests share (cluster-*.int-spec.ts): a stand per test, and
 * the states a test needs first (a registered, connected or active node; a placed service).
 */
export const CLUSTER_TOKEN = 'cluster-secret-token';

export const NODE_A = { name: 'node-a', arch: 'amd64', cpuCores: 2, memoryMb: 2048, publicIp: '10.0.0.5' };
export const NODE_B = { name: 'node-b', arch: 'arm64', cpuCores: 16, memoryMb: 65536 };
export const NODE_B_HEARTBEAT = { cpuCores: 16, memoryTotalMb: 65536, arch: 'arm64' };

/** Every test starts its own stand; the steps it needs first (an active node, a placed service) are the helpers below. */
export function startStand(): Promise<Stand> {
  return startSharedStand({
    token: CLUSTER_TOKEN,
    config: { clusterLocation: '48.26,11.67', resourcesIntervalMs: 300 },
  });
}

export async function connectNode(stand: Stand, reg: NodeRegisterResponse): Promise<NodeClient> {
  const c = await NodeClient.connect(stand.cluster.mqttPort, reg);
  stand.clients.push(c);
  return c;
}

export async function registerNode(stand: Stand, body: Record<string, unknown>): Promise<NodeRegisterResponse> {
  const res = await register(stand.cluster.port, stand.cluster.nodeToken, body);
  expect(res.status).toBe(200);
  return res.json as unknown as NodeRegisterResponse;
}

/** Registers a node, connects it to the broker and subscribes it to its control topics. */
export async function connectedNode(
  stand: Stand,
  body: Record<string, unknown>,
): Promise<{ reg: NodeRegisterResponse; node: NodeClient }> {
  const reg = await registerNode(stand, body);
  const node = await connectNode(stand, reg);
  await node.subscribeControl();
  return { reg, node };
}

/** A connected node that has sent its first heartbeat, got its sync, and keeps beating. */
export async function activeNode(
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
export async function deployWeb(stand: Stand, nodeA: NodeClient): Promise<void> {
  expect(await stand.root.deploy(spec('svc-web', { constraints: [{ type: 'direct', node: 'node-a' }] }))).toEqual({
    ok: true,
  });
  await waitFor('control/deploy on node A', () => nodeA.on('control/deploy')[0]);
  await waitFor('NODE_SCHEDULED at the root', () =>
    stand.root.statusesOf('svc-web').find((r) => r.status === 'NODE_SCHEDULED'),
  );
}

export function runningWeb(): Record<string, unknown> {
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
export async function syncedOnA(stand: Stand, regA: NodeRegisterResponse, nodeA: NodeClient): Promise<void> {
  stand.root.desired.set('svc-synced/0@1', spec('svc-synced', { constraints: [{ type: 'direct', node: regA.id }] }));
  await waitFor('deploy from sync', () =>
    nodeA.on('control/deploy').find((m) => (m.body as { serviceId: string }).serviceId === 'svc-synced'),
  );
}

/** A fresh stand before each test of the calling suite, stopped after it: read `.stand` inside a test. */
export function standPerTest(): { stand: Stand } {
  const current = {} as { stand: Stand };
  beforeEach(async () => {
    current.stand = await startStand();
  });
  afterEach(async () => {
    await stopStand(current.stand);
  });
  return current;
}
