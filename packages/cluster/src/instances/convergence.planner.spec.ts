import fc from 'fast-check';
import type { InstanceKey } from '@canopy/schema';
import {
  decideDelete,
  decideDeploy,
  planConvergence,
  slotOf,
  type ConvergenceStep,
  type PlacementView,
} from './convergence.planner';

const key = (serviceId: string, instanceNumber: number, generation: number): InstanceKey => ({
  serviceId,
  instanceNumber,
  generation,
});
const placed = (k: InstanceKey, nodeId?: string, deleting = false): PlacementView => ({
  spec: k,
  ...(nodeId === undefined ? {} : { nodeId }),
  deleting,
});

/** Steps as short strings, so expectations read like the plan an operator would expect. */
function describe_(steps: ConvergenceStep<InstanceKey>[]): string[] {
  return steps.map((s) => {
    const k = s.kind === 'deploy' ? s.spec : s.key;
    return `${s.kind} ${k.serviceId}/${k.instanceNumber}@${k.generation}`;
  });
}

describe('decideDeploy(current, spec)', () => {
  it('places what the cluster does not have', () => {
    expect(decideDeploy(undefined, key('a', 0, 1))).toEqual({ action: 'place' });
  });

  // Every combination of generation (lower, same, higher), placement and deletion.
  const cases: [number, string | undefined, boolean, ReturnType<typeof decideDeploy>][] = [
    [1, undefined, false, { action: 'place', replacing: undefined }],
    [1, undefined, true, { action: 'place', replacing: undefined }],
    [1, 'n1', false, { action: 'place', replacing: { key: key('a', 0, 1), nodeId: 'n1' } }],
    [1, 'n1', true, { action: 'place', replacing: { key: key('a', 0, 1), nodeId: 'n1' } }],
    [2, undefined, false, { action: 'place' }],
    [2, undefined, true, { action: 'ignore', reason: 'deleting' }],
    [2, 'n1', false, { action: 'ignore', reason: 'placed' }],
    [2, 'n1', true, { action: 'ignore', reason: 'placed' }],
    [3, undefined, false, { action: 'ignore', reason: 'stale' }],
    [3, undefined, true, { action: 'ignore', reason: 'stale' }],
    [3, 'n1', false, { action: 'ignore', reason: 'stale' }],
    [3, 'n1', true, { action: 'ignore', reason: 'stale' }],
  ];
  it.each(cases)(
    'generation %i on node %s (deleting: %s) against a deploy of generation 2',
    (g, nodeId, deleting, want) => {
      const decision = decideDeploy(placed(key('a', 0, g), nodeId, deleting), key('a', 0, 2));
      expect(decision.action === 'place' ? { replacing: undefined, ...decision } : decision).toEqual(
        want.action === 'place' ? { replacing: undefined, ...want } : want,
      );
    },
  );
});

describe('decideDelete(current, key, isActive)', () => {
  const active = (id: string): boolean => id === 'up';

  it('answers gone for a key it never had, or one already replaced by a higher generation', () => {
    expect(decideDelete(undefined, key('a', 0, 1), active)).toEqual({ action: 'gone' });
    expect(decideDelete(placed(key('a', 0, 3), 'up'), key('a', 0, 2), active)).toEqual({ action: 'gone' });
  });

  it('waits for the node while a delete is under way', () => {
    expect(decideDelete(placed(key('a', 0, 1), 'up', true), key('a', 0, 1), active)).toEqual({ action: 'ignore' });
  });

  it('forgets at once what is unplaced, or on a silent node (telling that node anyway)', () => {
    expect(decideDelete(placed(key('a', 0, 1)), key('a', 0, 1), active)).toEqual({ action: 'forget' });
    expect(decideDelete(placed(key('a', 0, 1), 'silent'), key('a', 0, 1), active)).toEqual({
      action: 'forget',
      tellNode: 'silent',
    });
  });

  it('asks an active node, also for an older generation than the delete names', () => {
    expect(decideDelete(placed(key('a', 0, 1), 'up'), key('a', 0, 1), active)).toEqual({
      action: 'delete',
      nodeId: 'up',
    });
    expect(decideDelete(placed(key('a', 0, 1), 'up'), key('a', 0, 2), active)).toEqual({
      action: 'delete',
      nodeId: 'up',
    });
  });
});

describe('planConvergence(records, desired, allowDeletes)', () => {
  it('does nothing when both sides are empty, or when everything is placed as desired', () => {
    expect(planConvergence([], [], true)).toEqual([]);
    expect(planConvergence([placed(key('a', 0, 1), 'n1')], [key('a', 0, 1)], true)).toEqual([]);
  });

  it('deploys what is missing, unplaced or older; deletes what is not desired or newer than desired', () => {
    const records = [
      placed(key('old', 0, 1), 'n1'),
      placed(key('unplaced', 0, 1)),
      placed(key('gone', 0, 1), 'n1'),
      placed(key('newer', 0, 5), 'n1'),
    ];
    const desired = [key('new', 0, 1), key('old', 0, 2), key('unplaced', 0, 1), key('newer', 0, 4)];
    expect(describe_(planConvergence(records, desired, true))).toEqual([
      'deploy new/0@1',
      'deploy old/0@2',
      'deploy unplaced/0@1',
      'delete gone/0@1',
      'delete newer/0@5',
    ]);
  });

  it('deletes nothing when part of the desired set could not be read', () => {
    expect(describe_(planConvergence([placed(key('gone', 0, 1), 'n1')], [key('new', 0, 1)], false))).toEqual([
      'deploy new/0@1',
    ]);
  });

  it('leaves a delete under way alone, and deploys the highest generation a slot is named with', () => {
    expect(planConvergence([placed(key('a', 0, 1), 'n1', true)], [], true)).toEqual([]);
    expect(describe_(planConvergence([], [key('a', 0, 1), key('a', 0, 3), key('a', 0, 2)], true))).toEqual([
      'deploy a/0@3',
    ]);
  });

  it('leaves alone a slot the root commanded after it was asked for the set (the set is older news)', () => {
    // A deploy of b/2 arrived before the answer that was built without it; a delete of c/0 likewise.
    const records = [placed(key('a', 0, 1), 'n1'), placed(key('b', 2, 2), 'n1')];
    const newer = new Set([slotOf(key('b', 2, 2)), slotOf(key('c', 0, 1))]);
    expect(describe_(planConvergence(records, [key('a', 0, 1), key('c', 0, 1)], true, newer))).toEqual([]);
    // Without the marks the same answer removes b/2 and brings c/0 back.
    expect(describe_(planConvergence(records, [key('a', 0, 1), key('c', 0, 1)], true))).toEqual([
      'deploy c/0@1',
      'delete b/2@2',
    ]);
  });

  describe('properties over arbitrary inputs', () => {
    const keyArb = fc.record({
      serviceId: fc.constantFrom('a', 'b', 'c'),
      instanceNumber: fc.integer({ min: 0, max: 2 }),
      generation: fc.integer({ min: 1, max: 3 }),
    });
    // One record per slot, as the service keeps them.
    const recordsArb = fc
      .array(
        fc.record({
          spec: keyArb,
          nodeId: fc.option(fc.constantFrom('n1', 'n2'), { nil: undefined }),
          deleting: fc.boolean(),
        }),
        {
          maxLength: 8,
        },
      )
      .map((rs) => [...new Map(rs.map((r) => [slotOf(r.spec), r as PlacementView])).values()]);
    const desiredArb = fc.array(keyArb, { maxLength: 8 });

    /** A perfect executor: a deploy places that key, a delete sends it on its way (deleting). */
    function apply(records: PlacementView[], steps: ConvergenceStep<InstanceKey>[]): Map<string, PlacementView> {
      const after = new Map(records.map((r) => [slotOf(r.spec), r]));
      for (const step of steps) {
        if (step.kind === 'deploy') {
          after.set(slotOf(step.spec), placed(step.spec, 'n1'));
        } else {
          after.set(slotOf(step.key), { ...after.get(slotOf(step.key))!, deleting: true });
        }
      }
      return after;
    }

    it('never plans two steps for one slot, and puts every deploy before any delete', () => {
      fc.assert(
        fc.property(recordsArb, desiredArb, fc.boolean(), (records, desired, allowDeletes) => {
          const steps = planConvergence(records, desired, allowDeletes);
          const slots = steps.map((s) => slotOf(s.kind === 'deploy' ? s.spec : s.key));
          expect(new Set(slots).size).toBe(slots.length);
          const kinds = steps.map((s) => s.kind);
          const firstDelete = kinds.indexOf('delete');
          if (firstDelete >= 0) {
            expect(kinds.slice(firstDelete)).not.toContain('deploy');
          }
        }),
      );
    });

    it('leaves every desired slot placed at its highest generation or a newer one, and nothing else live', () => {
      fc.assert(
        fc.property(recordsArb, desiredArb, (records, desired) => {
          const after = apply(records, planConvergence(records, desired, true));
          for (const want of desired) {
            const top = Math.max(...desired.filter((d) => slotOf(d) === slotOf(want)).map((d) => d.generation));
            const record = after.get(slotOf(want));
            expect(record).toBeDefined();
            expect(record!.spec.generation).toBeGreaterThanOrEqual(top);
            if (record!.spec.generation > top) {
              expect(record!.deleting).toBe(true);
            }
            if (!record!.deleting && record!.spec.generation === top) {
              expect(record!.nodeId !== undefined || record!.deleting).toBe(true);
            }
          }
          const wanted = new Set(desired.map(slotOf));
          for (const [slot, record] of after) {
            if (!wanted.has(slot)) {
              expect(record.deleting).toBe(true);
            }
          }
        }),
      );
    });

    it('deletes nothing without allowDeletes, and never deletes the desired generation', () => {
      fc.assert(
        fc.property(recordsArb, desiredArb, fc.boolean(), (records, desired, allowDeletes) => {
          const deletes = planConvergence(records, desired, allowDeletes).flatMap((s) =>
            s.kind === 'delete' ? [s.key] : [],
          );
          if (!allowDeletes) {
            expect(deletes).toEqual([]);
          }
          for (const d of deletes) {
            expect(desired.some((w) => slotOf(w) === slotOf(d) && w.generation >= d.generation)).toBe(false);
          }
        }),
      );
    });

    it('is idempotent: planning again after a perfect execution yields nothing', () => {
      fc.assert(
        fc.property(recordsArb, desiredArb, fc.boolean(), (records, desired, allowDeletes) => {
          const after = apply(records, planConvergence(records, desired, allowDeletes));
          expect(planConvergence(after.values(), desired, allowDeletes)).toEqual([]);
        }),
      );
    });
  });
});
