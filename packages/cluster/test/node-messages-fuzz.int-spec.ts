import {
  JobStatusMessage,
  LogsReplyMessage,
  NODE_TO_CLUSTER,
  NodeInformation,
  NodeJobsReport,
  NodeTopics,
  validateInput,
  type NodeRegisterResponse,
  type NodeTopicKind,
} from '@canopy/schema';
import fc from 'fast-check';
import { waitFor } from '@canopy/testing';
import { NodeClient, register } from './support/node-client';
import { spec } from './support/root-peer';
import { startStand, stopStand, type Stand } from './support/stand';

jest.setTimeout(120_000);

const RUNS = Number(process.env.FUZZ_RUNS ?? 2000);
const NODE = { name: 'fuzz-live', arch: 'amd64', cpuCores: 2, memoryMb: 2048 };
const KEY = { serviceId: 'svc-fuzz', instanceNumber: 0, generation: 1 };
const BEAT = { cpuCores: 2, cpuPercent: 5, memoryTotalMb: 2048, memoryFreeMb: 1500, arch: 'amd64' };

/** A message that would change state if it were valid, for each node→cluster topic. */
const VALID: Record<string, Record<string, unknown>> = {
  information: { ...BEAT, cpuCores: 64, memoryTotalMb: 999_999, at: 1 },
  'jobs/resources': { instances: [{ ...KEY, status: 'FAILED', cpuPercent: 5, memoryMb: 10 }], at: 1 },
  job: { ...KEY, sname: 'app.default.svc-fuzz.default', instance: 0, status: 'FAILED' },
  logs: { requestId: 'no-such-request', ok: true, lines: ['x'] },
};
/** The schema class each topic is read with: what it rejects is what "invalid" means here. */
const CLASS_OF: Record<string, new () => object> = {
  information: NodeInformation,
  'jobs/resources': NodeJobsReport,
  job: JobStatusMessage,
  logs: LogsReplyMessage,
};

/** False for a payload its topic's class accepts (a wrong value that happens to be valid). */
function invalidFor(kind: string, payload: string | Buffer): boolean {
  let body: unknown;
  try {
    body = JSON.parse(payload.toString());
  } catch {
    return true;
  }
  const cls = CLASS_OF[kind];
  return cls === undefined || !validateInput(cls, body).ok;
}
const WRONG = fc.oneof(
  fc.constant(null),
  fc.constant(-1),
  fc.constant(''),
  fc.string({ maxLength: 8 }),
  fc.double(),
  fc.object({ maxDepth: 1 }),
  fc.array(fc.integer(), { minLength: 1, maxLength: 3 }),
  fc.constant('A'.repeat(3000)),
);

/** The valid message with one field wrong or gone (or its instance entry broken): as close as invalid comes. */
function nearValid(kind: string): fc.Arbitrary<string> {
  const base = VALID[kind] ?? {};
  const keys = Object.keys(base);
  const field = fc
    .tuple(fc.constantFrom(...keys), fc.oneof(WRONG, fc.constant(undefined)))
    .map(([k, v]) => JSON.stringify({ ...base, [k]: v }));
  if (kind !== 'jobs/resources') {
    return field;
  }
  const entry = (base.instances as Record<string, unknown>[])[0] ?? {};
  const broken = fc
    .tuple(fc.constantFrom(...Object.keys(entry).filter((k) => !['cpuPercent', 'memoryMb'].includes(k))), WRONG)
    .map(([k, v]) => JSON.stringify({ ...base, instances: [{ ...entry, [k]: v }] }));
  return fc.oneof(field, broken);
}

/**
 * Property-based fuzzing of every node→cluster topic from an active node that runs an instance:
 * near-valid messages that would change its status, its capacity or its instance if accepted, and
 * random bytes. Nothing may move: no status at the root, no delete, the capacity the root sees.
 */
describe('fuzzed MQTT payloads from a live node with a running instance', () => {
  let stand: Stand | undefined;
  let reg: NodeRegisterResponse;
  let node: NodeClient;

  beforeAll(async () => {
    stand = await startStand({
      token: 'fuzz-live-token',
      config: { clusterName: 'fuzz-live', resourcesIntervalMs: 200 },
    });
    reg = (await register(stand.cluster.port, stand.cluster.nodeToken, NODE)).json as unknown as NodeRegisterResponse;
    node = await NodeClient.connect(stand.cluster.mqttPort, reg);
    stand.clients.push(node);
    await node.subscribeControl();
    await node.heartbeat(BEAT);
    node.startHeartbeats(300, BEAT);
    expect(
      await stand.root.deploy(spec(KEY.serviceId, { constraints: [{ type: 'direct', node: NODE.name }] })),
    ).toEqual({
      ok: true,
    });
    await waitFor('control/deploy', () => node.on('control/deploy')[0]);
    await node.publish(NodeTopics.job(reg.id), { ...VALID.job, status: 'RUNNING' });
    await waitFor('RUNNING at the root', () =>
      stand!.root.statusesOf(KEY.serviceId).find((s) => s.status === 'RUNNING'),
    );
  });

  afterAll(() => stopStand(stand));

  it.each([...NODE_TO_CLUSTER])('changes nothing for %s', async (kind: NodeTopicKind) => {
    const root = stand!.root;
    const statuses = root.statuses.length;
    const resourcesSeen = root.resources.length;
    const payload = fc.oneof(
      { arbitrary: nearValid(kind), weight: 3 },
      { arbitrary: fc.uint8Array({ maxLength: 256 }).map((b) => Buffer.from(b)), weight: 1 },
      { arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)), weight: 1 },
    );
    const samples = fc.sample(
      payload.filter((p) => invalidFor(kind, p)),
      RUNS,
    );
    const topic = `nodes/${reg.id}/${kind}`;
    for (let i = 0; i < samples.length; i += 100) {
      await Promise.all(samples.slice(i, i + 100).map((p) => node.client.publishAsync(topic, p, { qos: 1 })));
    }
    // Every resources report made during the fuzz shows the capacity the real beats give: an
    // accepted fuzzed beat (64 cores, ~1 TB) would show until the next real one, 300 ms later.
    await waitFor('a resources report after the fuzz', () => root.resources.length > resourcesSeen + 1);
    const off = root.resources
      .slice(resourcesSeen)
      .filter((r) => r.cpuMillisTotal !== 2000 || r.memoryMbTotal !== 2048 || r.activeNodes !== 1);
    expect(off).toEqual([]);
    expect(root.statuses.slice(statuses)).toEqual([]);
    expect(node.on('control/delete')).toEqual([]);
    expect(node.client.connected).toBe(true);
    expect((await fetch(`http://127.0.0.1:${stand!.cluster.port}/health`)).status).toBe(200);
  });

  it('takes the valid job message the fuzz was built around (the checks above could fail)', async () => {
    await node.publish(NodeTopics.job(reg.id), VALID.job);
    await waitFor('FAILED at the root', () => stand!.root.statusesOf(KEY.serviceId).find((s) => s.status === 'FAILED'));
  });
});
