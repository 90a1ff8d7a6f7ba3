import fc from 'fast-check';
import { CandidateTable } from './candidate-table';
import { ReservationLedger } from './reservation-ledger';
import { POLICIES, fitScore, schedule } from './scheduler';
import type { Candidate, PlacementRequest, Policy, Resources } from './types';
import { passesFilters, fits, modelChoice } from '../test/support/placement-model';
import { fleetArb, requestArb, scenarioArb } from '../test/support/placement-arbitraries';

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
            if (placed.length === 0) {
              continue;
            }
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
          if (!spreadDecision.ok) {
            return;
          }
          const feasible = fleet.filter((c) => passesFilters(c, request) && fits(c, zero(), request.requests));
          const least = Math.min(...feasible.map((c) => spread.get(c.id) ?? 0));
          expect(spread.get(spreadDecision.candidateId)).toBe(least);
        },
      ),
      { numRuns: 500 },
    );
  });
});
