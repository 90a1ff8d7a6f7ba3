import { instanceKeyString } from '@canopy/schema';
import { waitFor } from '@canopy/testing';
import { NodeClient, register } from './support/node-client';
import { spec } from './support/root-peer';
import { startStand, stopStand, type Stand } from './support/stand';

jest.setTimeout(40_000);

const NODE = { name: 'sync-node', arch: 'amd64', cpuCores: 2, memoryMb: 2048 };
const placed = spec('svc-kept', { constraints: [{ type: 'direct', node: NODE.name }] });

/**
 * The root's answer to `cluster:sync` is inbound data like any other: read through the same schema
 * classes (InstanceSpecDto, class-validator), over real Socket.IO. A malformed answer must change
 * nothing: no instance deleted, no node told anything new, the cluster still up and syncing.
 */
describe("the root's cluster:sync answer, malformed", () => {
  let stand: Stand | undefined;
  let node: NodeClient;

  beforeAll(async () => {
    stand = await startStand({ token: 'sync-reply-token', config: { clusterName: 'sync-reply' } });
    const reg = (await register(stand.cluster.port, stand.cluster.nodeToken, NODE)).json;
    node = await NodeClient.connect(stand.cluster.mqttPort, reg as never);
    stand.clients.push(node);
    await node.subscribeControl();
    node.startHeartbeats(300);
    expect(await stand.root.deploy(placed)).toEqual({ ok: true });
    await waitFor('the instance deployed on the node', () => node.on('control/deploy')[0]);
  });

  afterAll(() => stopStand(stand));

  /** Gives `reply` to the next sync and waits until the one after it was answered too. */
  const answerOnce = async (reply: unknown): Promise<void> => {
    const root = stand!.root;
    const before = root.answered;
    root.replyNextSyncWith(reply);
    await waitFor('the malformed answer and one sync after it', () => root.answered >= before + 2, 10_000);
  };

  const { image, ...withoutImage } = placed;
  it.each<[string, unknown]>([
    ['null', null],
    ['a string', 'desired'],
    ['desired not a list', { clusterId: 'other', desired: { 0: placed } }],
    ['an error', { error: 'nope' }],
    ['only garbage entries', { desired: [null, 1, 'x', [], {}] }],
    ['the placed spec with a bad instance number', { desired: [{ ...placed, instanceNumber: -1 }] }],
    ['the placed spec without its image', { desired: [withoutImage] }],
    ['the placed spec with an image of the wrong type', { desired: [{ ...placed, image: { evil: image } }] }],
    ['a prototype-polluting entry', { desired: [JSON.parse('{"__proto__": {"polluted": true}}')] }],
  ])('changes nothing when it is %s', async (_what, reply) => {
    await answerOnce(reply);
    expect(node.on('control/delete')).toEqual([]);
    expect(stand!.root.statusesOf(placed.serviceId).map((s) => s.status)).not.toContain('UNDEPLOYED');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    const health = await fetch(`http://127.0.0.1:${stand!.cluster.port}/health`);
    expect(health.status).toBe(200);
  });

  it('does delete on a well-formed answer without the instance (the checks above could fail)', async () => {
    stand!.root.desired.delete(instanceKeyString(placed));
    await waitFor('control/delete on the node', () => node.on('control/delete')[0], 10_000);
  });
});
