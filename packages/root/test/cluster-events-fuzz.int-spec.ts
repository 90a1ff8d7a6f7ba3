import fc from 'fast-check';
import {
  ClusterResourcesDto,
  ClusterSyncDto,
  INSTANCE_STATUSES,
  InstanceReportDto,
  parseClusterUsage,
  validateInput,
} from '@canopy/schema';
import { waitFor } from '@canopy/testing';
import { io } from 'socket.io-client';
import { FakeCluster, oneNodeResources } from './support/fake-cluster';
import { startHttpRoot, type TestRoot } from './support/http-root';

/**
 * Property-based fuzzing of every event a cluster sends the root over Socket.IO (issue 10), against
 * a real root (in process, real Socket.IO, real SQLite) that holds a service with a RUNNING
 * instance on the fuzzing cluster. At least 2,000 generated messages, all invalid or wrong (garbage
 * of every JSON shape, wrong types, huge strings and arrays, prototype-pollution keys, reports
 * naming the real instance with bad statuses or generations, odd argument counts), acked and not.
 * Oracles: `/health` answers 200 throughout, every acked message is answered (an error for an
 * invalid one, never a timeout), no unhandled rejection, no 5xx from the API afterwards, and the
 * service and cluster read back as before (apart from the cluster's last-seen fields).
 */

const RUNS = Number(process.env.FUZZ_RUNS ?? 2000);
const SEED = Number(process.env.FUZZ_SEED ?? 20261201);
const BATCH = 25;
const CLUSTER_TOKEN = 'fuzz-events-cluster-token-01234567';
const CLUSTER = 'fuzz-edge';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const resources = oneNodeResources(4000, 8192);

type EventName = 'cluster:sync' | 'instance:status' | 'cluster:resources' | 'cluster:heartbeat' | 'instance:usage';
const ACKED: readonly EventName[] = ['cluster:sync', 'instance:status'];

/** One message: the event, its arguments (before any ack), and whether it asks for an ack. */
interface Message {
  event: EventName;
  args: unknown[];
  acked: boolean;
}

const deep = (depth: number): Json => {
  let value: Json = 'x';
  for (let i = 0; i < depth; i++) {
    value = i % 2 === 0 ? { a: value } : [value];
  }
  return value;
};

const polluting = (): Json[] => [
  JSON.parse('{"__proto__":{"polluted":true}}') as Json,
  JSON.parse('{"constructor":{"prototype":{"polluted":true}}}') as Json,
  JSON.parse('{"__proto__":{"serviceId":"x","instanceNumber":0,"generation":1,"status":"FAILED"}}') as Json,
];

/** Values that are wrong in (almost) every field of these events. */
const badValue: fc.Arbitrary<Json | undefined> = fc.oneof(
  { arbitrary: fc.constant(undefined), weight: 3 },
  { arbitrary: fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<Json>, weight: 5 },
  {
    arbitrary: fc.constantFrom<Json>(
      -1,
      0.5,
      1e308,
      -1e308,
      Number.MAX_SAFE_INTEGER + 2,
      '1',
      '',
      'RUNNING ',
      'running',
      'BOGUS',
      true,
      [],
      {},
      [null],
      null,
    ),
    weight: 4,
  },
  { arbitrary: fc.string({ unit: 'binary', maxLength: 40 }), weight: 2 },
  { arbitrary: fc.integer({ min: 1, max: 200 }).map(deep), weight: 1 },
  { arbitrary: fc.integer({ min: 10_000, max: 300_000 }).map((n) => 'x'.repeat(n)), weight: 1 },
  { arbitrary: fc.integer({ min: 1_000, max: 20_000 }).map((n) => Array.from({ length: n }, () => 0)), weight: 1 },
  { arbitrary: fc.constantFrom(...polluting()), weight: 1 },
);

/** Whole-payload garbage: anything a broken or hostile cluster could put on the wire. */
const garbage: fc.Arbitrary<unknown> = fc.oneof(
  badValue,
  fc.anything({ maxDepth: 2 }),
  fc.constantFrom<unknown>(...polluting(), { instances: polluting() }, { resources: polluting()[0], instances: [] }),
);

type Path = (string | number)[];

function setAt(target: unknown, path: Path, value: Json | undefined): unknown {
  if (path.length === 0) {
    return value;
  }
  if (target === null || typeof target !== 'object') {
    return target;
  }
  const [head, ...rest] = path;
  const container = target as Record<string | number, unknown>;
  if (rest.length === 0) {
    if (value === undefined) {
      delete container[head as string];
    } else {
      container[head as string] = structuredClone(value);
    }
  } else {
    setAt(container[head as string], rest, value);
  }
  return target;
}

function mutate(base: () => unknown, paths: Path[]): fc.Arbitrary<unknown> {
  return fc.array(fc.tuple(fc.constantFrom(...paths), badValue), { minLength: 1, maxLength: 3 }).map((edits) => {
    let value = base();
    for (const [path, v] of edits) {
      value = setAt(value, path, v);
    }
    return value;
  });
}

const RESOURCE_PATHS: Path[] = [
  ...Object.keys(resources).map((k) => [k]),
  ['largestNodeFree', 'cpuMillis'],
  ['largestNodeFree', 'gpus'],
  ['architectures', 0],
  ['netRxBps'],
  ['largestNodeFreeByArch'],
  ['largestNodeFreeByArch', 'amd64'],
  ['infrastructureElements'],
  ['infrastructureElements', 0],
  ['infrastructureElements', 0, 'id'],
  ['infrastructureElements', 0, 'cpuCores'],
  ['__proto__'],
];

describe('fuzzing the Socket.IO events a cluster sends the root (fast-check, real root)', () => {
  jest.setTimeout(120_000);
  let t: TestRoot;
  let token = '';
  let fake: FakeCluster;
  let serviceId = '';
  const rejections: unknown[] = [];
  const onRejection = (reason: unknown) => rejections.push(reason);

  const report = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({
    serviceId,
    instanceNumber: 0,
    generation: 1,
    status: 'RUNNING',
    nodeId: 'node-1',
    containerId: 'container-1',
    ...extra,
  });
  const withElements = () => ({
    ...structuredClone(resources),
    largestNodeFreeByArch: { amd64: { cpuMillis: 4000, memoryMb: 8192, gpus: 0 } },
    infrastructureElements: [],
  });

  /** A report the root would rightly apply: about the real instance, its generation, a real status. */
  function legitimate(value: unknown): boolean {
    const r = validateInput(InstanceReportDto, value);
    return r.ok && r.value.serviceId === serviceId && r.value.instanceNumber === 0 && r.value.generation === 1;
  }

  function messages(): fc.Arbitrary<Message> {
    const status = fc.oneof(
      { arbitrary: garbage, weight: 2 },
      {
        arbitrary: mutate(report, [
          ['serviceId'],
          ['instanceNumber'],
          ['generation'],
          ['status'],
          ['status_detail'],
          ['nodeId'],
          ['hostPorts'],
          ['hostPorts', 0],
          ['at'],
          ['restarts'],
          ['epoch'],
          ['__proto__'],
        ]),
        weight: 4,
      },
      // Plausible but wrong: the real instance, a generation or number the root never gave it.
      {
        arbitrary: fc
          .record({
            status: fc.constantFrom(...INSTANCE_STATUSES),
            generation: fc.oneof(fc.constantFrom(0, 2, 3, 2 ** 31), fc.integer({ min: 2, max: 1e9 })),
            instanceNumber: fc.constantFrom(0, 1, 7, 2 ** 31),
          })
          .map((r) => report(r)),
        weight: 3,
      },
      {
        arbitrary: fc
          .record({ status: fc.constantFrom(...INSTANCE_STATUSES), instanceNumber: fc.nat({ max: 5 }) })
          .map((r) => report({ ...r, serviceId: `${serviceId}x` })),
        weight: 1,
      },
    );
    const sync = fc.oneof(
      { arbitrary: garbage, weight: 2 },
      {
        arbitrary: mutate(
          () => ({ resources: withElements(), instances: [report()] }),
          [
            ['resources'],
            ['instances'],
            ['instances', 0],
            ['instances', 0, 'status'],
            ['instances', 0, 'generation'],
            ...RESOURCE_PATHS.map((p) => ['resources', ...p]),
          ],
        ),
        weight: 4,
      },
    );
    const resourcesMsg = fc.oneof(
      { arbitrary: garbage, weight: 1 },
      { arbitrary: mutate(withElements, RESOURCE_PATHS), weight: 3 },
    );
    const usageEntry = (extra: Record<string, unknown> = {}) => ({
      serviceId,
      instanceNumber: 0,
      generation: 1,
      cpuPercent: 12.5,
      memoryMb: 64,
      at: Date.now(),
      ...extra,
    });
    const usage = fc.oneof(
      { arbitrary: garbage, weight: 1 },
      {
        arbitrary: mutate(
          () => ({ instances: [usageEntry()] }),
          [['instances'], ['instances', 0], ...Object.keys(usageEntry()).map((k) => ['instances', 0, k])],
        ),
        weight: 3,
      },
      // Valid shape, wrong instance: a generation, number or service the root never placed there.
      {
        arbitrary: fc
          .oneof(
            fc.integer({ min: 2, max: 1e6 }).map((generation) => usageEntry({ generation })),
            fc.integer({ min: 1, max: 1e6 }).map((instanceNumber) => usageEntry({ instanceNumber })),
            fc.constant(usageEntry({ serviceId: 'not-a-service' })),
          )
          .map((e) => ({ instances: [e] })),
        weight: 2,
      },
    );
    const heartbeat = fc.oneof(
      garbage,
      mutate(() => ({ sentAt: Date.now(), instances: 1 }), [['sentAt'], ['instances']]),
    );
    const payloads: Record<EventName, fc.Arbitrary<unknown>> = {
      'cluster:sync': sync,
      'instance:status': status,
      'cluster:resources': resourcesMsg,
      'cluster:heartbeat': heartbeat,
      'instance:usage': usage,
    };
    const events = Object.keys(payloads) as EventName[];
    return fc.constantFrom(...events).chain((event) =>
      fc
        .record({
          payload: payloads[event],
          // Mostly one argument; sometimes none or extra ones (an ack must still be found and answered).
          arity: fc.oneof({ arbitrary: fc.constant(1), weight: 8 }, fc.constantFrom(0, 2, 3)),
          extra: garbage,
          acked: ACKED.includes(event) ? fc.boolean() : fc.constant(false),
        })
        .map(({ payload, arity, extra, acked }) => ({
          event,
          args: arity === 0 ? [] : [payload, ...Array.from({ length: arity - 1 }, () => extra)],
          acked,
        })),
    );
  }

  /** True for a message that is valid and right, which this test must not send (it would change state legitimately). */
  function wouldApply(m: Message): boolean {
    const [payload] = m.args;
    if (m.args.length === 0) {
      return false;
    }
    switch (m.event) {
      case 'cluster:sync':
        return validateInput(ClusterSyncDto, payload).ok;
      case 'cluster:resources':
        return validateInput(ClusterResourcesDto, payload).ok;
      case 'instance:status':
        return legitimate(payload);
      case 'instance:usage': {
        const u = parseClusterUsage(payload);
        return u.ok && u.value.instances.some((e) => legitimate({ ...e, status: 'RUNNING' }));
      }
      case 'cluster:heartbeat':
        return false;
    }
  }

  const api = async (method: string, path: string, body?: unknown) => t.call(method, path, { token, body });
  const serviceView = async () => {
    const res = await api('GET', `/api/service/${serviceId}`);
    expect(res.status).toBe(200);
    return res.body as { instance_list: { status: string }[] };
  };
  const clusterList = async () => {
    const res = await api('GET', '/api/clusters');
    expect(res.status).toBe(200);
    // Last-seen fields move with every message; everything else must stay.
    return (res.body as Record<string, unknown>[]).map((c) => {
      const { last_seen: _seen, silent_s: _silent, last_modified_timestamp: _modified, ...rest } = c;
      return rest;
    });
  };

  beforeAll(async () => {
    process.on('unhandledRejection', onRejection);
    t = await startHttpRoot({
      CANOPY_CLUSTER_TOKEN: CLUSTER_TOKEN,
      CANOPY_ALLOW_SHARED_CLUSTER_TOKEN: 'true',
    });
    token = (await t.login('Admin', t.adminPassword)).token;
    fake = await new FakeCluster(t.root.url, CLUSTER_TOKEN, CLUSTER, resources).connected();
    expect(await fake.sync()).toEqual({ clusterId: expect.any(String), desired: [] });
    const created = await api('POST', '/api/application', {
      sla_version: 'v2.0',
      customerID: 'c',
      applications: [
        {
          applicationID: '',
          application_name: 'fuzzapp',
          application_namespace: 'ns',
          microservices: [
            {
              microservice_name: 'web',
              microservice_namespace: 'ns',
              virtualization: 'container',
              code: 'img',
              constraints: [{ type: 'direct', cluster: CLUSTER }],
            },
          ],
        },
      ],
    });
    expect(created.status).toBe(201);
    serviceId = created.body.applications[0].microservices[0] as string;
    expect((await api('POST', `/api/service/${serviceId}/instance`)).status).toBeLessThan(300);
    await waitFor('the deploy at the cluster', () => fake.deploys.find((d) => d.serviceId === serviceId));
    for (const s of ['NODE_SCHEDULED', 'CREATING', 'RUNNING']) {
      expect(await fake.report(report({ status: s }))).toEqual({ ok: true });
    }
    // A usage sample of the real instance, so that a wrong one wiping its history would show.
    fake.socket.emit('instance:usage', { instances: [{ ...report(), cpuPercent: 5, memoryMb: 32, at: Date.now() }] });
    await waitFor('RUNNING with usage', async () => {
      const i = (await serviceView()).instance_list[0] as { status?: string; cpu?: number | null } | undefined;
      return i?.status === 'RUNNING' && i.cpu === 5 ? true : undefined;
    });
  });

  afterAll(async () => {
    process.off('unhandledRejection', onRejection);
    fake?.silence();
    await t?.stop();
  });

  it(`survives ${RUNS} invalid cluster messages with every acked one answered and no state changed`, async () => {
    process.stderr.write(`cluster events fuzz: seed ${SEED} (FUZZ_SEED to replay), ${RUNS} messages\n`);
    const started = Date.now();
    const serviceBefore = await serviceView();
    const clustersBefore = await clusterList();
    const counts: Record<string, number> = {};
    const unanswered: string[] = [];
    const wrongAcks: string[] = [];
    const health: number[] = [];
    const show = (m: Message) => `${m.event} ${JSON.stringify(m.args).slice(0, 300)}`;

    let sent = 0;
    let seed = SEED;
    while (sent < RUNS) {
      const sample = fc.sample(messages(), { numRuns: 200, seed: seed++ }).filter((m) => !wouldApply(m));
      for (let i = 0; i < sample.length && sent < RUNS; i += BATCH) {
        const batch = sample.slice(i, i + BATCH);
        const acks = batch.map(async (m) => {
          counts[m.event] = (counts[m.event] ?? 0) + 1;
          if (!m.acked) {
            fake.socket.emit(m.event, ...(m.args as [never]));
            return;
          }
          try {
            const reply = (await fake.socket.timeout(5000).emitWithAck(m.event, ...(m.args as [never]))) as unknown;
            const r = reply as { ok?: unknown; error?: unknown } | null;
            const valid =
              m.event === 'instance:status' && m.args.length > 0 && validateInput(InstanceReportDto, m.args[0]).ok;
            // An invalid message gets an error naming why; a valid but wrong report is acked and ignored.
            const fine = valid ? r?.ok === true : r?.ok === false && typeof r.error === 'string' && r.error !== '';
            if (!fine && wrongAcks.length < 5) {
              wrongAcks.push(`${JSON.stringify(reply)} <- ${show(m)}`);
            }
          } catch (e) {
            if (unanswered.length < 5) {
              unanswered.push(`${(e as Error).message} <- ${show(m)}`);
            }
          }
        });
        sent += batch.length;
        await Promise.all(acks);
        health.push((await fetch(`${t.root.url}/health`)).status);
      }
    }
    // A marker: an acked message answered after everything sent before it was handled.
    expect(await fake.socket.timeout(5000).emitWithAck('cluster:sync', null)).toMatchObject({ ok: false });
    process.stderr.write(
      `cluster events fuzz: ${sent} messages in ${Date.now() - started} ms, per event ${JSON.stringify(counts)}\n`,
    );

    expect(sent).toBeGreaterThanOrEqual(RUNS);
    expect(fake.socket.connected).toBe(true);
    expect(health.filter((s) => s !== 200)).toEqual([]);
    expect((await fetch(`${t.root.url}/health`)).status).toBe(200);
    expect(unanswered).toEqual([]);
    expect(wrongAcks).toEqual([]);
    expect(rejections).toEqual([]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    // Nothing stored moved: the instance list (statuses, history, usage) and the cluster.
    expect(await serviceView()).toEqual(serviceBefore);
    expect(await clusterList()).toEqual(clustersBefore);
    for (const path of ['/api/applications', '/api/clusters', `/api/service/${serviceId}`, '/api/services']) {
      expect((await api('GET', path)).status).toBeLessThan(500);
    }
  });

  // The three bugs the fuzzing found, each pinned by one message.
  it('answers an acked event sent without a payload or with extra arguments', async () => {
    const ask = (event: EventName, ...args: unknown[]) =>
      fake.socket.timeout(5000).emitWithAck(event, ...(args as [never])) as Promise<unknown>;
    expect(await ask('instance:status')).toEqual({ ok: false, error: expect.stringContaining('JSON object') });
    expect(await ask('cluster:sync')).toEqual({ ok: false, error: expect.stringContaining('JSON object') });
    expect(await ask('instance:status', report({ generation: 0 }), 'extra', 42)).toEqual({ ok: true });
    expect(await ask('cluster:sync', { resources: null }, { instances: [] })).toEqual({
      ok: false,
      error: expect.stringContaining('resources'),
    });
  });

  it('refuses a second connection under the live name before any of its events is handled', async () => {
    const before = await serviceView();
    /** A cluster connection that sends its events at once (buffered until the handshake is through). */
    const eager = (name: string) => {
      const socket = io(`${t.root.url}/clusters`, {
        auth: { token: CLUSTER_TOKEN, name },
        reconnection: false,
        transports: ['websocket'],
      });
      const refused = new Promise<string>((resolve) => {
        socket.on('disconnect', () => resolve('disconnected'));
        socket.on('connect_error', (e) => resolve(e.message));
      });
      socket.emit('cluster:resources', resources);
      socket.emit('cluster:heartbeat', { sentAt: Date.now() });
      socket.emit('instance:usage', { instances: [] });
      socket.emit('instance:status', report({ status: 'FAILED' }));
      return { socket, refused };
    };
    const impostor = eager(CLUSTER);
    expect(await impostor.refused).toBe(`cluster ${CLUSTER} is already connected`);
    impostor.socket.close();
    // The marker: the live cluster is still heard and answered, after the impostor's events.
    expect(await fake.report(report({ generation: 0 }))).toEqual({ ok: true });
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(rejections).toEqual([]);
    expect(await serviceView()).toEqual(before);
  });

  it('ignores a report or a usage sample naming a generation the instance does not run', async () => {
    const before = await serviceView();
    expect(before.instance_list[0]?.status).toBe('RUNNING');
    expect(await fake.report(report({ generation: 2, status: 'FAILED', status_detail: 'forged' }))).toEqual({
      ok: true,
    });
    fake.socket.emit('instance:usage', { instances: [{ ...report(), generation: 2, cpuPercent: 99, at: 1 }] });
    // The marker: a right sample after the wrong one; the wrong one neither shows nor wiped the history.
    fake.socket.emit('instance:usage', { instances: [{ ...report(), cpuPercent: 6, at: 2 }] });
    type Usage = { status: string; cpu: number | null; cpu_history: { value: number }[] };
    const after = await waitFor('the right sample', async () => {
      const i = (await serviceView()).instance_list[0] as Usage | undefined;
      return i?.cpu === 6 ? i : undefined;
    });
    const was = before.instance_list[0] as Usage;
    expect(after.status).toBe('RUNNING');
    expect(after.cpu_history.map((p) => p.value)).toEqual([...was.cpu_history.map((p) => p.value), 6]);
    const { cpu_history: _h, cpu: _c, memory_history: _mh, ...rest } = after as Usage & Record<string, unknown>;
    const { cpu_history: _h0, cpu: _c0, memory_history: _mh0, ...restBefore } = was as Usage & Record<string, unknown>;
    expect(rest).toEqual(restBefore);
  });
});
