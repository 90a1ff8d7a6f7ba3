import fc from 'fast-check';
import {
  ClusterResourcesDto,
  ClusterSyncDto,
  INSTANCE_STATUSES,
  InstanceReportDto,
  parseClusterUsage,
  validateInput,
} from '@canopy/schema';
import { oneNodeResources } from './fake-cluster';
import { deepValue, edited, pollutingValues, type Json, type Path } from './fuzz-edits';

/*
 * The messages cluster-events-fuzz.int-spec.ts sends the root: garbage of every JSON shape, wrong
 * types, huge strings and arrays, prototype-pollution keys, and reports naming the real instance
 * with statuses or generations the root never gave it.
 */

/** The fuzzing cluster's one node. */
export const resources = oneNodeResources(4000, 8192);

export type EventName =
  'cluster:sync' | 'instance:status' | 'cluster:resources' | 'cluster:heartbeat' | 'instance:usage';
const ACKED: readonly EventName[] = ['cluster:sync', 'instance:status'];

/** One message: the event, its arguments (before any ack), and whether it asks for an ack. */
export interface Message {
  event: EventName;
  args: unknown[];
  acked: boolean;
}

const polluting = (): Json[] =>
  pollutingValues('{"__proto__":{"serviceId":"x","instanceNumber":0,"generation":1,"status":"FAILED"}}');

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
  { arbitrary: fc.integer({ min: 1, max: 200 }).map((d) => deepValue(d)), weight: 1 },
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

const mutate = (base: () => unknown, paths: Path[]) => edited(base, paths, badValue);

export const RESOURCE_PATHS: Path[] = [
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

/** A RUNNING report of instance 0 of `serviceId`, generation 1, with `extra` on top. */
export const reportOf = (serviceId: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
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
function legitimate(serviceId: string, value: unknown): boolean {
  const r = validateInput(InstanceReportDto, value);
  return r.ok && r.value.serviceId === serviceId && r.value.instanceNumber === 0 && r.value.generation === 1;
}

/** Messages for every event a cluster sends, each wrong somewhere, about `serviceId`'s instance. */
export function eventMessages(serviceId: string): fc.Arbitrary<Message> {
  const report = (extra: Record<string, unknown> = {}) => reportOf(serviceId, extra);
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
export function wouldApply(serviceId: string, m: Message): boolean {
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
      return legitimate(serviceId, payload);
    case 'instance:usage': {
      const u = parseClusterUsage(payload);
      return u.ok && u.value.instances.some((e) => legitimate(serviceId, { ...e, status: 'RUNNING' }));
    }
    case 'cluster:heartbeat':
      return false;
  }
}
