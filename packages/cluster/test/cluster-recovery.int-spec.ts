import { type NodeRegisterResponse } from '@canopy/schema';
import pino from 'pino';
import { startCluster } from '../src';
import { register } from './support/node-client';
import { sleep, waitFor } from '@canopy/testing';
import { NODE_A, activeNode, connectNode, standPerTest, syncedOnA } from './support/cluster-steps';

jest.setTimeout(20_000);

/** The cluster across a root outage and its own restart. */
describe('cluster orchestrator (real HTTP, MQTT, Socket.IO, SQLite)', () => {
  const ctx = standPerTest();

  it('reconnects to the root after the root goes away and comes back, and syncs again', async () => {
    const { root } = ctx.stand;
    const { reg: regA, node: nodeA } = await activeNode(ctx.stand, NODE_A);
    await syncedOnA(ctx.stand, regA, nodeA);
    await root.stop();
    await sleep(300);
    const before = root.syncs.length;
    await root.start();
    await waitFor('a new cluster:sync after reconnect', () => root.syncs.length > before, 15_000);
    expect(root.syncs.at(-1)!.instances.map((i) => i.serviceId)).toContain('svc-synced');
  });

  it('remembers nodes and placements across a cluster restart', async () => {
    const { reg: regA, node: nodeA } = await activeNode(ctx.stand, NODE_A);
    await syncedOnA(ctx.stand, regA, nodeA);
    for (const c of ctx.stand.clients.splice(0)) {
      await c.close();
    }
    await ctx.stand.cluster.stop();
    ctx.stand.cluster = await startCluster(ctx.stand.config, pino({ level: 'silent' }));
    const again = (
      await register(ctx.stand.cluster.port, regA.credential ?? '', {
        name: 'node-a',
        arch: 'amd64',
        cpuCores: 2,
        memoryMb: 2048,
      })
    ).json as unknown as NodeRegisterResponse;
    expect(again.id).toBe(regA.id);
    const node = await connectNode(ctx.stand, again);
    await node.subscribeControl();
    await node.heartbeat();
    const sync = await waitFor('control/sync after restart', () => node.on('control/sync')[0]);
    expect((sync.body as { instances: { serviceId: string }[] }).instances.map((i) => i.serviceId)).toEqual([
      'svc-synced',
    ]);
  });
});
