import fc from 'fast-check';
import { CandidateTable } from './candidate-table';
import { ReservationLedger } from './reservation-ledger';
import { POLICIES, schedule } from './scheduler';
import { withDrawnFilters, withDrawnMetrics } from '../test/support/placement-arbitraries';
import type { Candidate, PlacementRequest, Policy, Resources } from './types';

// Lengths are drawn first: fast-check's default array sizes stay near 10, too few for a deep tree.
// The free-capacity index must decide exactly like the reference scan (`{ index: false }`), on
// every request of every sequence, including failures and their details. Fleets reach ~100
// candidates so the tree has several levels; shapes, usage and names collide so ties are common.

const PLACES = [
  { lat: 48.1, long: 11.6 },
  { lat: 52.5, long: 13.4 },
];

const candidateSpec = fc.record({
  active: fc.integer({ min: 0, max: 6 }).map((x) => x > 0),
  cpu: fc.oneof(
    fc.constantFrom(0, 1000, 2000, 4000),
    fc.integer({ min: 1, max: 40 }).map((x) => x * 100),
  ),
  mem: fc.oneof(
    fc.constantFrom(0, 1024, 4096),
    fc.integer({ min: 1, max: 64 }).map((x) => x * 64),
  ),
  gpus: fc.constantFrom(0, 0, 0, 1, 2),
  largest: fc.option(fc.record({ cpu: fc.nat(4000), mem: fc.nat(4096), gpus: fc.nat(2) }), { nil: undefined }),
  arch: fc.constantFrom('amd64', 'arm64', 'x86_64'),
  zone: fc.constantFrom('a', 'b'),
  place: fc.option(fc.constantFrom(...PLACES), { nil: undefined }),
  netRxBps: fc.option(fc.constantFrom(0, 100, 200), { nil: undefined }),
  cpuPercent: fc.option(fc.constantFrom(10, 50), { nil: undefined }),
});
type Spec = typeof candidateSpec extends fc.Arbitrary<infer T> ? T : never;

function toCandidate(g: Spec, i: number, rootTier: boolean): Candidate {
  const c: Candidate = {
    id: `c${String(i).padStart(3, '0')}`,
    name: `name-${i % 40}`, // names repeat past 40: a pin by name may match two candidates
    active: g.active,
    allocatable: { cpuMillis: g.cpu, memoryMb: g.mem, gpus: g.gpus },
    architectures: [g.arch],
    labels: { zone: g.zone },
  };
  if (rootTier) {
    c.largestNodeFree = {
      cpuMillis: g.largest?.cpu ?? g.cpu,
      memoryMb: g.largest?.mem ?? g.mem,
      gpus: g.largest?.gpus ?? 0,
    };
  }
  withDrawnMetrics(c, g);
  return c;
}

/** `arb` one time in `1 + absentWeight`, else undefined (fc.option's `freq` is the other way round). */
const sometimes = <T>(arb: fc.Arbitrary<T>, absentWeight = 3): fc.Arbitrary<T | undefined> =>
  fc.oneof({ weight: absentWeight, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: arb });

const amount = (step: number, max: number) =>
  fc.oneof({ weight: 4, arbitrary: fc.nat(max).map((x) => x * step) }, { weight: 1, arbitrary: fc.nat(max * step) });

const requestArb = fc
  .record({
    cpu: amount(100, 12),
    mem: amount(64, 24),
    gpus: fc.constantFrom(0, 0, 0, 0, 1),
    arch: sometimes(fc.constantFrom('amd64', 'arm64', 'aarch64')),
    zone: sometimes(fc.constantFrom('a', 'c')),
    pinned: sometimes(
      fc.array(
        fc.nat(120).map((i) => (i % 2 === 0 ? `c${String(i).padStart(3, '0')}` : `name-${i % 40}`)),
        { minLength: 1, maxLength: 3 },
      ),
      4,
    ),
    near: sometimes(fc.constantFrom(...PLACES), 5),
    spread: sometimes(fc.array(fc.tuple(fc.nat(120), fc.nat(3)), { maxLength: 30 }), 2),
  })
  .map((g): PlacementRequest => {
    const r: PlacementRequest = { requests: { cpuMillis: g.cpu, memoryMb: g.mem, gpus: g.gpus } };
    withDrawnFilters(r, g);
    if (g.near) {
      r.near = { ...g.near, radiusKm: 100 };
    }
    if (g.spread) {
      r.spread = new Map(g.spread.map(([i, load]) => [`c${String(i).padStart(3, '0')}`, load]));
    }
    return r;
  });

const opArb = fc.oneof(
  {
    weight: 12,
    arbitrary: fc.record({
      kind: fc.constant('place' as const),
      request: requestArb,
      policy: fc.constantFrom(...POLICIES),
    }),
  },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('release' as const), pick: fc.nat() }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('restore' as const),
      node: fc.nat(130),
      cpu: amount(100, 10),
      mem: amount(64, 10),
    }),
  },
  // A node update: the cluster builds a fresh table (same ids) with changed liveness, size or usage.
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('update' as const), node: fc.nat(), spec: candidateSpec }) },
  // The node set changes: the layout of ids differs, so every index is rebuilt.
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('relayout' as const), spec: candidateSpec }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('array' as const),
      request: requestArb,
      policy: fc.constantFrom(...POLICIES),
    }),
  },
);

const scenarioArb = fc.record({
  specs: fc.integer({ min: 0, max: 110 }).chain((n) => fc.array(candidateSpec, { minLength: n, maxLength: n })),
  rootTier: fc.boolean(),
  ops: fc.integer({ min: 1, max: 60 }).chain((n) => fc.array(opArb, { minLength: n, maxLength: n })),
});

describe('free-capacity index vs. the reference scan (property)', () => {
  it('chooses the same candidate, or fails the same way, on random fleets and sequences', () => {
    fc.assert(
      fc.property(scenarioArb, ({ specs, rootTier, ops }) => {
        const indexed = new ReservationLedger();
        const reference = new ReservationLedger({ index: false });
        let fleet = specs.map((g, i) => toCandidate(g, i, rootTier));
        let table = new CandidateTable(fleet);
        const live: string[] = [];
        let seq = 0;
        for (const op of ops) {
          if (op.kind === 'release') {
            const [key] = live.splice(op.pick % Math.max(1, live.length), 1);
            if (key !== undefined) {
              indexed.release(key);
              reference.release(key);
            }
          } else if (op.kind === 'restore') {
            const key = `r${seq++}`;
            const r: Resources = { cpuMillis: op.cpu, memoryMb: op.mem, gpus: 0 };
            indexed.reserve(key, `c${String(op.node).padStart(3, '0')}`, r);
            reference.reserve(key, `c${String(op.node).padStart(3, '0')}`, r);
            live.push(key);
          } else if (op.kind === 'update' || op.kind === 'relayout') {
            if (op.kind === 'update' && fleet.length > 0) {
              const i = op.node % fleet.length;
              fleet = fleet.map((c, j) =>
                j === i ? { ...toCandidate(op.spec, i, rootTier), id: c.id, name: c.name } : c,
              );
            } else if (op.kind === 'relayout') {
              fleet =
                fleet.length > 0 && op.spec.active
                  ? fleet.slice(1)
                  : [...fleet, toCandidate(op.spec, fleet.length + 200, rootTier)];
            }
            table = new CandidateTable(fleet);
          } else {
            const key = `k${seq++}`;
            const input = op.kind === 'array' ? fleet : table;
            const expected = schedule(table, reference.reserved, op.request, op.policy, { kind: 'node' });
            const want = reference.place(key, input, op.request, op.policy, { kind: 'node' });
            const got = indexed.place(key, input, op.request, op.policy, { kind: 'node' });
            expect(got).toEqual(want);
            expect(want).toEqual(expected);
            if (got.ok) {
              live.push(key);
            }
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('free-capacity index: exhaustive small cases', () => {
  it('agrees with the scan on every 2-candidate fleet, reservation state and request', () => {
    const cpus = [0, 500, 1000];
    const mems = [0, 512];
    const reservedCpu = [0, 250, 500];
    const shapes = cpus.flatMap((cpu) => mems.flatMap((mem) => reservedCpu.map((r) => ({ cpu, mem, r }))));
    const wants: Resources[] = [0, 250, 500].flatMap((cpuMillis) =>
      [0, 256].map((memoryMb) => ({ cpuMillis, memoryMb, gpus: 0 })),
    );
    let decisions = 0;
    for (const a of shapes) {
      for (const b of shapes) {
        const fleet: Candidate[] = [a, b].map((s, i) => ({
          id: `n${i}`,
          name: `n${i}`,
          active: true,
          allocatable: { cpuMillis: s.cpu, memoryMb: s.mem, gpus: 0 },
          architectures: ['amd64'],
          labels: {},
          cpuPercent: 0,
        }));
        const table = new CandidateTable(fleet);
        for (const policy of ['best-fit', 'worst-fit', 'most-traffic'] as Policy[]) {
          for (const requests of wants) {
            const indexed = new ReservationLedger();
            const reference = new ReservationLedger({ index: false });
            for (const l of [indexed, reference]) {
              l.reserve('pre-0', 'n0', { cpuMillis: a.r, memoryMb: 0, gpus: 0 });
              l.reserve('pre-1', 'n1', { cpuMillis: b.r, memoryMb: 0, gpus: 0 });
            }
            expect(indexed.place('k', table, { requests }, policy)).toEqual(
              reference.place('k', table, { requests }, policy),
            );
            decisions++;
          }
        }
      }
    }
    expect(decisions).toBe(18 * 18 * 3 * 6);
  });

  it('breaks wide ties (hundreds of identical nodes) by CPU busy, then id, like the scan', () => {
    const fleet: Candidate[] = Array.from({ length: 600 }, (_, i) => ({
      id: `n${String((i * 7919) % 600).padStart(4, '0')}`, // ids not in position order
      name: `n${i}`,
      active: i % 13 !== 0,
      allocatable: { cpuMillis: 4000, memoryMb: 8192, gpus: 0 },
      architectures: ['amd64'],
      labels: {},
      cpuPercent: i % 3,
    }));
    const table = new CandidateTable(fleet);
    for (const policy of ['best-fit', 'worst-fit', 'most-traffic'] as Policy[]) {
      const indexed = new ReservationLedger();
      const reference = new ReservationLedger({ index: false });
      for (let k = 0; k < 400; k++) {
        const request: PlacementRequest = { requests: { cpuMillis: 500 + (k % 3) * 250, memoryMb: 1024, gpus: 0 } };
        const got = indexed.place(`k${k}`, table, request, policy);
        expect(got).toEqual(reference.place(`k${k}`, table, request, policy));
        if (k % 5 === 4) {
          indexed.release(`k${k - 2}`);
          reference.release(`k${k - 2}`);
        }
      }
    }
  });
});
