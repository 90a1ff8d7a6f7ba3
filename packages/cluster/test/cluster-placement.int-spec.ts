import { NodeTopics } from '@canopy/schema';
import { spec } from './support/root-peer';
import { waitFor } from '@canopy/testing';
import {
  NODE_A,
  NODE_B,
  NODE_B_HEARTBEAT,
  activeNode,
  deployWeb,
  runningWeb,
  standPerTest,
} from './support/cluster-steps';

jest.setTimeout(20_000);

/** Deploys and deletes from the root placed on nodes, statuses reported up, and the sync converging. */
describe('cluster orchestrator (real HTTP, MQTT, Socket.IO, SQLite)', () => {
  const ctx = standPerTest();

  it('places a deploy from the root on a node and reports NODE_SCHEDULED up', async () => {
    const { root } = ctx.stand;
    const { reg: regA, node: nodeA } = await activeNode(ctx.stand, NODE_A);
    const s = spec('svc-web', { constraints: [{ type: 'direct', node: 'node-a' }] });
    expect(await root.deploy(s)).toEqual({ ok: true });
    const deploy = await waitFor('control/deploy on node A', () => nodeA.on('control/deploy')[0]);
    expect(deploy.body).toMatchObject({ serviceId: 'svc-web', instanceNumber: 0, generation: 1, image: s.image });
    const scheduled = await waitFor('NODE_SCHEDULED at the root', () =>
      root.statusesOf('svc-web').find((r) => r.status === 'NODE_SCHEDULED'),
    );
    expect(scheduled).toMatchObject({ nodeId: regA.id, nodeName: 'node-a', publicIp: '10.0.0.5' });

    // The same key again is a no-op: no second deploy command. The marker: a later deploy of
    // another service reaches node A, so the repeated one would have arrived before it.
    expect(await root.deploy(s)).toEqual({ ok: true });
    expect(await root.deploy(spec('svc-marker', { constraints: [{ type: 'direct', node: 'node-a' }] }))).toEqual({
      ok: true,
    });
    await waitFor('control/deploy of the marker on node A', () =>
      nodeA.on('control/deploy').find((m) => (m.body as { serviceId: string }).serviceId === 'svc-marker'),
    );
    expect(
      nodeA.on('control/deploy').filter((m) => (m.body as { serviceId: string }).serviceId === 'svc-web'),
    ).toHaveLength(1);
  });

  it("forwards a node's RUNNING status to the root with where it runs", async () => {
    const { root } = ctx.stand;
    const { reg: regA, node: nodeA } = await activeNode(ctx.stand, NODE_A);
    await activeNode(ctx.stand, NODE_B, NODE_B_HEARTBEAT);
    await deployWeb(ctx.stand, nodeA);
    await nodeA.publish(NodeTopics.job(regA.id), runningWeb());
    const running = await waitFor('RUNNING at the root', () =>
      root.statusesOf('svc-web').find((r) => r.status === 'RUNNING'),
    );
    expect(running).toMatchObject({
      nodeId: regA.id,
      nodeName: 'node-a',
      publicIp: '10.0.0.5',
      containerId: 'abc123',
      hostPorts: [{ containerPort: 80, hostPort: 32080, protocol: 'tcp' }],
    });
    const resources = await waitFor('reserved resources', () => root.resources.find((r) => r.cpuMillisFree === 17500));
    expect(resources.memoryMbFree).toBe(2048 + 65536 - 64);
  });

  it('reports NO_WORKER_CAPACITY with a reason when nothing fits', async () => {
    const { root } = ctx.stand;
    await activeNode(ctx.stand, NODE_A);
    expect(await root.deploy(spec('svc-huge', { memoryMb: 1_000_000 }))).toEqual({ ok: true });
    const failed = await waitFor('NO_WORKER_CAPACITY', () => root.statusesOf('svc-huge')[0]);
    expect(failed.status).toBe('NO_WORKER_CAPACITY');
    expect(failed.status_detail).toEqual(expect.any(String));
    expect(failed.status_detail!.length).toBeGreaterThan(5);
    await root.delete({ serviceId: 'svc-huge', instanceNumber: 0, generation: 1 });
  });

  it('refuses an invalid deploy with an error in the ack', async () => {
    const ack = await ctx.stand.root.emit('instance:deploy', { ...spec('svc-bad'), instanceNumber: -1 });
    expect(ack).toEqual({ ok: false, error: expect.stringMatching(/instanceNumber/) });
  });

  it('drops malformed MQTT payloads without crashing', async () => {
    const { root, cluster } = ctx.stand;
    const { reg: regA, node: nodeA } = await activeNode(ctx.stand, NODE_A);
    await deployWeb(ctx.stand, nodeA);
    await nodeA.publish(NodeTopics.information(regA.id), 'this is not json{');
    await nodeA.publish(NodeTopics.job(regA.id), { serviceId: 'svc-web', status: 'EXPLODED' });
    await nodeA.publish(NodeTopics.jobResources(regA.id), { instances: 'nope' });
    await nodeA.publish(NodeTopics.job(regA.id), {
      serviceId: 'svc-web',
      instanceNumber: 0,
      generation: 1,
      sname: 'x',
      instance: 0,
      status: 'FAILED',
      hostPorts: [{ containerPort: 'eighty' }],
    });
    // The marker: a valid report published after the malformed ones reaches the root, so they
    // have been handled (the cluster reads one node's messages in order).
    await nodeA.publish(NodeTopics.job(regA.id), runningWeb());
    await waitFor('RUNNING at the root', () => root.statusesOf('svc-web').find((r) => r.status === 'RUNNING'));
    const health = await fetch(`http://127.0.0.1:${cluster.port}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok', rootConnected: true });
    expect(root.statusesOf('svc-web').map((r) => r.status)).not.toContain('FAILED');
  });

  it('converges on the desired set from the root sync', async () => {
    const { root } = ctx.stand;
    const { reg: regA, node: nodeA } = await activeNode(ctx.stand, NODE_A);
    await deployWeb(ctx.stand, nodeA);
    // Only in the root's desired set, never sent as an event: the periodic sync must bring it.
    const s = spec('svc-synced', { constraints: [{ type: 'direct', node: regA.id }] });
    root.desired.set('svc-synced/0@1', s);
    const deploy = await waitFor('deploy from sync', () =>
      nodeA.on('control/deploy').find((m) => (m.body as { serviceId: string }).serviceId === 'svc-synced'),
    );
    expect(deploy.body).toMatchObject({ serviceId: 'svc-synced' });
    // The node's periodic sync now lists both instances.
    await waitFor('node sync with two instances', () =>
      nodeA.on('control/sync').find((m) => (m.body as { instances: unknown[] }).instances.length === 2),
    );
  });

  it('keeps a deploy the root sent while its sync answer was on the way (the older set removes nothing)', async () => {
    const { root } = ctx.stand;
    const { node: nodeA } = await activeNode(ctx.stand, NODE_A);
    const hold = root.holdNextSync();
    await hold.arrived;
    // The answer was read without svc-late; the deploy command overtakes it on the wire.
    await root.deploy(spec('svc-late', { constraints: [{ type: 'direct', node: 'node-a' }] }));
    await waitFor('control/deploy of svc-late', () =>
      nodeA.on('control/deploy').find((m) => (m.body as { serviceId: string }).serviceId === 'svc-late'),
    );
    const syncsBefore = root.syncs.length;
    hold.release();
    // Two later syncs: the stale answer has been applied, and a fresh one too.
    await waitFor('two more syncs', () => root.syncs.length >= syncsBefore + 2, 10_000);
    expect(nodeA.on('control/delete')).toEqual([]);
    expect(root.statusesOf('svc-late').map((r) => r.status)).not.toContain('UNDEPLOYED');
    expect(root.syncs.at(-1)?.instances.map((i) => i.serviceId)).toContain('svc-late');
  });

  it('deletes through the node and reports UNDEPLOYED once the node confirms', async () => {
    const { root } = ctx.stand;
    const { reg: regA, node: nodeA } = await activeNode(ctx.stand, NODE_A);
    await activeNode(ctx.stand, NODE_B, NODE_B_HEARTBEAT);
    await deployWeb(ctx.stand, nodeA);
    await nodeA.publish(NodeTopics.job(regA.id), runningWeb());
    await waitFor('RUNNING at the root', () => root.statusesOf('svc-web').find((r) => r.status === 'RUNNING'));

    expect(await root.delete({ serviceId: 'svc-web', instanceNumber: 0, generation: 1 })).toEqual({ ok: true });
    const del = await waitFor('control/delete on node A', () => nodeA.on('control/delete')[0]);
    expect(del.body).toEqual({ serviceId: 'svc-web', instanceNumber: 0, generation: 1 });
    // The marker: a deploy sent after the delete is scheduled and reported; an UNDEPLOYED sent
    // without waiting for the node would have reached the root before it.
    expect(await root.deploy(spec('svc-marker', { constraints: [{ type: 'direct', node: 'node-a' }] }))).toEqual({
      ok: true,
    });
    await waitFor('NODE_SCHEDULED for the marker', () =>
      root.statusesOf('svc-marker').find((r) => r.status === 'NODE_SCHEDULED'),
    );
    expect(root.statusesOf('svc-web').map((r) => r.status)).not.toContain('UNDEPLOYED');

    await nodeA.publish(NodeTopics.job(regA.id), {
      serviceId: 'svc-web',
      instanceNumber: 0,
      generation: 1,
      sname: 'app.default.svc-web.default',
      instance: 0,
      status: 'UNDEPLOYED',
    });
    await waitFor('UNDEPLOYED at the root', () => root.statusesOf('svc-web').find((r) => r.status === 'UNDEPLOYED'));
    // svc-web's reservation goes; the marker's (the same size) stays.
    await waitFor('reservation released', () => root.resources.at(-1)?.cpuMillisFree === 17500);

    // An unknown key is reported gone straight away.
    await root.delete({ serviceId: 'svc-never', instanceNumber: 3, generation: 1 });
    await waitFor('UNDEPLOYED for an unknown key', () =>
      root.statusesOf('svc-never').find((r) => r.status === 'UNDEPLOYED'),
    );
  });
});
