import fc from 'fast-check';
import { CandidateTable } from './candidate-table';
import { ReservationLedger } from './reservation-ledger';
import { distanceKm, fitScore, schedule } from './scheduler';
import type { Candidate, PlacementRequest, Policy, Resources } from './types';

// An independent, obviously-correct model of placement (slow, allocation-happy on purpose), to
// check the optimised loops against.
const ARCH_SAME: Record<string, string[]> = {
  amd64: ['amd64', 'x86_64'],
  x86_64: ['x86_64', 'amd64'],
  arm64: ['arm64', 'aarch64'],
  aarch64: ['aarch64', 'arm64'],
};

function passesFilters(c: Candidate, r: PlacementRequest): boolean {
  if (!c.active) return false;
  if (r.pinned && r.pinned.length > 0 && !r.pinned.includes(c.id) && !r.pinned.includes(c.name)) return false;
  if (r.arch !== undefined && !(ARCH_SAME[r.arch] ?? [r.arch]).some((a) => c.architectures.includes(a))) return false;
  if (r.labels && Object.entries(r.labels).some(([k, v]) => c.labels[k] !== v)) return false;
  if (r.near && (!c.location || distanceKm(r.near, c.location) > r.near.radiusKm)) return false;
  return c.allocatable.gpus >= r.requests.gpus;
}

function fits(c: Candidate, reserved: Resources, want: Resources): boolean {
  const a = c.allocatable;
  const room = (k: keyof Resources) => a[k] - reserved[k] >= want[k] && (c.largestNodeFree?.[k] ?? Infinity) >= want[k];
  return room('cpuMillis') && room('memoryMb') && room('gpus');
}

function modelChoice(feasible: Candidate[], scoreOf: (c: Candidate) => number, policy: Policy): Candidate | undefined {
  if (policy === 'first-fit') return feasible[0];
  const key = (c: Candidate): [number, number] => {
    const s = scoreOf(c);
    if (policy === 'best-fit') return [0, -s];
    if (policy === 'worst-fit') return [0, s];
    return [c.netRxBps ?? 0, s];
  };
  const sorted = [...feasible].sort((x, y) => {
    const [a1, a2] = key(x);
    const [b1, b2] = key(y);
    if (a1 !== b1) return b1 - a1;
    if (a2 !== b2) return b2 - a2;
    const p = (x.cpuPercent ?? 0) - (y.cpuPercent ?? 0);
    if (p !== 0) return p;
    return x.id < y.id ? -1 : x.id > y.id ? 1 : 0;
  });
  return sorted[0];
}

// ------------------------------------------------------------------------------------------------
// Generators: small fleets with plenty of collisions (equal sizes, shared labels, nearby places) so
// ties, filters and full candidates all happen often.

const POLICIES: Policy[] = ['best-fit', 'worst-fit', 'first-fit', 'most-traffic'];
const PLACES = [
  { lat: 48.1, long: 11.6 },
  { lat: 52.5, long: 13.4 },
  { lat: 48.2, long: 16.4 },
];

const resources = (max: number, maxGpus: number) =>
  fc.record({
    cpuMillis: fc.integer({ min: 0, max }).map((x) => x * 250),
    memoryMb: fc.integer({ min: 0, max }).map((x) => x * 256),
    gpus: fc.integer({ min: 0, max: maxGpus }),
  });

const candidateArb = (i: number, rootTier: boolean) =>
  fc
    .record({
      active: fc.integer({ min: 0, max: 4 }).map((x) => x > 0), // mostly up
      allocatable: resources(16, 2),
      largest: resources(16, 2),
      arch: fc.constantFrom('amd64', 'arm64', 'x86_64'),
      zone: fc.constantFrom('a', 'b'),
      place: fc.option(fc.constantFrom(...PLACES), { nil: undefined }),
      netRxBps: fc.option(fc.constantFrom(0, 100, 200), { nil: undefined }),
      cpuPercent: fc.option(fc.constantFrom(10, 50), { nil: undefined }),
    })
    .map((g): Candidate => {
      const c: Candidate = {
        id: `c${String(i).padStart(2, '0')}`,
        name: `name-${i}`,
        active: g.active,
        allocatable: g.allocatable,
        architectures: [g.arch],
        labels: { zone: g.zone },
      };
      if (rootTier) c.largestNodeFree = g.largest;
      if (g.place) c.location = g.place;
      if (g.netRxBps !== undefined) c.netRxBps = g.netRxBps;
      if (g.cpuPercent !== undefined) c.cpuPercent = g.cpuPercent;
      return c;
    });

const fleetArb = fc
  .tuple(fc.integer({ min: 0, max: 12 }), fc.boolean())
  .chain(([n, rootTier]) => fc.tuple(...Array.from({ length: n }, (_, i) => candidateArb(i, rootTier))));

const requestArb = (maxIndex: number) =>
  fc
    .record({
      requests: resources(6, 2).map((r) => ({ ...r, gpus: r.gpus === 2 ? 1 : 0 })),
      arch: fc.option(fc.constantFrom('amd64', 'arm64', 'aarch64'), { nil: undefined, freq: 4 }),
      zone: fc.option(fc.constantFrom('a', 'b', 'c'), { nil: undefined, freq: 4 }),
      pinned: fc.option(
        fc.array(
          fc
            .integer({ min: 0, max: maxIndex + 1 })
            .chain((i) => fc.constantFrom(`c${String(i).padStart(2, '0')}`, `name-${i}`)),
          { minLength: 1, maxLength: 3 },
        ),
        { nil: undefined, freq: 4 },
      ),
      near: fc.option(fc.record({ at: fc.constantFrom(...PLACES), radiusKm: fc.constantFrom(50, 400, 1000) }), {
        nil: undefined,
        freq: 4,
      }),
    })
    .map((g): PlacementRequest => {
      const r: PlacementRequest = { requests: g.requests };
      if (g.arch) r.arch = g.arch;
      if (g.zone) r.labels = { zone: g.zone };
      if (g.pinned) r.pinned = g.pinned;
      if (g.near) r.near = { ...g.near.at, radiusKm: g.near.radiusKm };
      return r;
    });

const scenarioArb = fleetArb.chain((fleet) =>
  fc.record({
    fleet: fc.constant(fleet),
    asTable: fc.boolean(),
    ops: fc.array(
      fc.oneof(
        {
          weight: 4,
          arbitrary: fc.record({
            kind: fc.constant('place' as const),
            request: requestArb(fleet.length),
            policy: fc.constantFrom(...POLICIES),
          }),
        },
        { weight: 1, arbitrary: fc.record({ kind: fc.constant('release' as const), pick: fc.nat() }) },
      ),
      { minLength: 1, maxLength: 40 },
    ),
  }),
);

describe('scheduler properties (random fleets and request sequences through the ledger)', () => {
  it('decides like the model, never over-commits, keeps pins, and fails for the right reason', () => {
    fc.assert(
      fc.property(scenarioArb, ({ fleet, asTable, ops }) => {
        const ledger = new ReservationLedger();
        const input = asTable ? new CandidateTable(fleet) : fleet;
        const placed: string[] = [];
        let seq = 0;
        for (const op of ops) {
          if (op.kind === 'release') {
            if (placed.length === 0) continue;
            const [key] = placed.splice(op.pick % placed.length, 1);
            ledger.release(key!);
            continue;
          }
          const { request, policy } = op;
          const passing = fleet.filter((c) => passesFilters(c, request));
          const feasible = passing.filter((c) => fits(c, ledger.reserved(c.id), request.requests));
          const scoreOf = (c: Candidate) => fitScore(c, ledger.reserved(c.id), request.requests);
          const expected = modelChoice(feasible, scoreOf, policy);
          // The pure function on the same state must agree with the ledger's indexed path.
          const pure = schedule(fleet, ledger.reserved, request, policy, { kind: 'node' });
          const key = `k${seq++}`;
          const decision = ledger.place(key, input, request, policy, { kind: 'node' });
          expect(pure).toEqual(decision);

          if (expected === undefined) {
            expect(decision.ok).toBe(false);
            if (!decision.ok) {
              const reason = fleet.length === 0 ? 'no-candidates' : passing.length === 0 ? 'filtered' : 'no-capacity';
              expect(decision.reason).toBe(reason);
              expect(decision.detail.length).toBeGreaterThan(10);
            }
            continue;
          }
          expect(decision).toEqual({ ok: true, candidateId: expected.id });
          placed.push(key);
          const chosen = fleet.find((c) => c.id === expected.id)!;
          if (request.pinned && request.pinned.length > 0) {
            expect(request.pinned.includes(chosen.id) || request.pinned.includes(chosen.name)).toBe(true);
          }
          // Capacity is never exceeded on any candidate.
          for (const c of fleet) {
            const r = ledger.reserved(c.id);
            expect(r.cpuMillis).toBeLessThanOrEqual(c.allocatable.cpuMillis);
            expect(r.memoryMb).toBeLessThanOrEqual(c.allocatable.memoryMb);
            expect(r.gpus).toBeLessThanOrEqual(c.allocatable.gpus);
          }
        }
      }),
      { numRuns: 400 },
    );
  });

  it('best-fit lands on a minimum score and worst-fit on a maximum among the feasible', () => {
    fc.assert(
      fc.property(
        fleetArb,
        fc.array(fc.tuple(requestArb(12), fc.constantFrom<Policy>('best-fit', 'worst-fit')), { maxLength: 20 }),
        (fleet, requests) => {
          const ledger = new ReservationLedger();
          requests.forEach(([request, policy], i) => {
            const scores = fleet
              .filter((c) => passesFilters(c, request) && fits(c, ledger.reserved(c.id), request.requests))
              .map((c) => fitScore(c, ledger.reserved(c.id), request.requests));
            const d = ledger.place(`k${i}`, fleet, request, policy);
            if (scores.length === 0) {
              expect(d.ok).toBe(false);
              return;
            }
            expect(d.ok).toBe(true);
            if (d.ok) {
              // The ledger now holds this placement: take it back out to score the state it was chosen in.
              const c = fleet.find((x) => x.id === d.candidateId)!;
              const now = ledger.reserved(c.id);
              const want = request.requests;
              const pre = {
                cpuMillis: now.cpuMillis - want.cpuMillis,
                memoryMb: now.memoryMb - want.memoryMb,
                gpus: now.gpus - want.gpus,
              };
              expect(fitScore(c, pre, want)).toBe(policy === 'best-fit' ? Math.min(...scores) : Math.max(...scores));
            }
          });
        },
      ),
      { numRuns: 300 },
    );
  });

  it('a request bigger than every candidate fails with no-capacity, or filtered when filters exclude all', () => {
    fc.assert(
      fc.property(fleetArb, requestArb(12), fc.constantFrom(...POLICIES), (fleet, request, policy) => {
        const huge: PlacementRequest = { ...request, requests: { ...request.requests, cpuMillis: 1_000_000 } };
        const d = schedule(fleet, () => ({ cpuMillis: 0, memoryMb: 0, gpus: 0 }), huge, policy);
        const passing = fleet.filter((c) => passesFilters(c, huge));
        expect(d).toMatchObject({
          ok: false,
          reason: fleet.length === 0 ? 'no-candidates' : passing.length === 0 ? 'filtered' : 'no-capacity',
        });
      }),
      { numRuns: 300 },
    );
  });
});

describe('spread (property)', () => {
  const zero = (): Resources => ({ cpuMillis: 0, memoryMb: 0, gpus: 0 });
  it('succeeds exactly when it would without spread, on a least-loaded feasible candidate; array = table', () => {
    fc.assert(
      fc.property(
        fleetArb,
        requestArb(12),
        fc.constantFrom(...POLICIES),
        fc.array(fc.nat(3), { minLength: 14, maxLength: 14 }),
        (fleet, request, policy, loads) => {
          const spread = new Map(fleet.map((c, i) => [c.id, loads[i] ?? 0]));
          const withSpread = { ...request, spread };
          const plain = schedule(fleet, zero, request, policy);
          const spreadDecision = schedule(fleet, zero, withSpread, policy);
          expect(spreadDecision.ok).toBe(plain.ok);
          expect(schedule(new CandidateTable(fleet), zero, withSpread, policy)).toEqual(spreadDecision);
          if (!spreadDecision.ok) return;
          const feasible = fleet.filter((c) => passesFilters(c, request) && fits(c, zero(), request.requests));
          const least = Math.min(...feasible.map((c) => spread.get(c.id) ?? 0));
          expect(spread.get(spreadDecision.candidateId)).toBe(least);
        },
      ),
      { numRuns: 500 },
    );
  });
});
