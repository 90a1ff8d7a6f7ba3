import fc from 'fast-check';
import type { InstanceKey } from '@canopy/schema';
import { plan, slotKey, type Step } from './reconcile.planner';

interface Actual extends InstanceKey {
  containerId: string;
}
interface Desired extends InstanceKey {
  image: string;
}

const actual = (serviceId: string, instanceNumber: number, generation: number): Actual => ({
  serviceId,
  instanceNumber,
  generation,
  containerId: `c-${serviceId}-${instanceNumber}-${generation}`,
});
const desired = (serviceId: string, instanceNumber: number, generation: number): Desired => ({
  serviceId,
  instanceNumber,
  generation,
  image: `img:${generation}`,
});

/** Steps as short strings, so expectations read like the plan an operator would expect. */
function describe_(steps: Step<Actual, Desired>[]): string[] {
  return steps.map((s) =>
    s.action === 'create'
      ? `create ${s.spec.serviceId}/${s.spec.instanceNumber}@${s.spec.generation}`
      : `remove ${s.instance.serviceId}/${s.instance.instanceNumber}@${s.instance.generation} (${s.reason})`,
  );
}

describe('plan(actual, desired)', () => {
  it('does nothing when both sides are empty', () => {
    expect(plan<Actual, Desired>([], [])).toEqual([]);
  });

  it('creates every desired instance the node lacks', () => {
    expect(describe_(plan([], [desired('a', 0, 1), desired('a', 1, 1)]))).toEqual(['create a/0@1', 'create a/1@1']);
  });

  it('removes every container that is not desired', () => {
    expect(describe_(plan([actual('a', 0, 1), actual('b', 2, 5)], []))).toEqual([
      'remove a/0@1 (not-desired)',
      'remove b/2@5 (not-desired)',
    ]);
  });

  it('leaves an instance of the desired generation alone', () => {
    expect(plan([actual('a', 0, 3)], [desired('a', 0, 3)])).toEqual([]);
  });

  it('replaces a lower generation: removal first, then creation', () => {
    expect(describe_(plan([actual('a', 0, 1)], [desired('a', 0, 2)]))).toEqual([
      'remove a/0@1 (superseded)',
      'create a/0@2',
    ]);
  });

  it('never rolls back: a higher actual generation than desired is kept', () => {
    expect(plan([actual('a', 0, 4)], [desired('a', 0, 2)])).toEqual([]);
  });

  it('keeps only the newest when leftovers of several generations share a slot', () => {
    expect(describe_(plan([actual('a', 0, 1), actual('a', 0, 2), actual('a', 0, 3)], [desired('a', 0, 2)]))).toEqual([
      'remove a/0@2 (superseded)',
      'remove a/0@1 (superseded)',
    ]);
    expect(describe_(plan([actual('a', 0, 1), actual('a', 0, 2)], [desired('a', 0, 2)]))).toEqual([
      'remove a/0@1 (superseded)',
    ]);
  });

  it('keeps only the newest of several higher generations', () => {
    expect(describe_(plan([actual('a', 0, 5), actual('a', 0, 4)], [desired('a', 0, 2)]))).toEqual([
      'remove a/0@4 (superseded)',
    ]);
  });

  it('removes two records of the very same key down to one', () => {
    const first = actual('a', 0, 1);
    const second = { ...actual('a', 0, 1), containerId: 'other' };
    const steps = plan([first, second], [desired('a', 0, 1)]);
    expect(steps).toEqual([{ action: 'remove', instance: second, reason: 'duplicate' }]);
  });

  it('takes the highest generation when the desired set names a slot twice', () => {
    expect(describe_(plan([], [desired('a', 0, 1), desired('a', 0, 3), desired('a', 0, 2)]))).toEqual(['create a/0@3']);
  });

  it('treats instance numbers of one service as separate slots', () => {
    expect(describe_(plan([actual('a', 0, 1)], [desired('a', 1, 1)]))).toEqual([
      'remove a/0@1 (not-desired)',
      'create a/1@1',
    ]);
  });

  it('puts every removal before any creation, across slots, in slot order', () => {
    const steps = plan(
      [actual('b', 0, 1), actual('a', 10, 1), actual('a', 2, 1)],
      [desired('b', 0, 2), desired('a', 9, 1), desired('c', 0, 1)],
    );
    expect(describe_(steps)).toEqual([
      'remove a/2@1 (not-desired)',
      'remove a/10@1 (not-desired)',
      'remove b/0@1 (superseded)',
      'create a/9@1',
      'create b/0@2',
      'create c/0@1',
    ]);
  });

  it('hands back the very objects it was given', () => {
    const a = actual('a', 0, 1);
    const d = desired('a', 0, 2);
    const [remove, create] = plan([a], [d]);
    expect(remove).toEqual({ action: 'remove', instance: a, reason: 'superseded' });
    expect(remove?.action === 'remove' && remove.instance).toBe(a);
    expect(create?.action === 'create' && create.spec).toBe(d);
  });

  describe('properties over arbitrary inputs', () => {
    const key = fc.record({
      serviceId: fc.constantFrom('a', 'b', 'c'),
      instanceNumber: fc.integer({ min: 0, max: 3 }),
      generation: fc.integer({ min: 0, max: 4 }),
    });
    const actuals = fc.array(key, { maxLength: 12 }).map((ks) => ks.map((k, i) => ({ ...k, containerId: `c${i}` })));
    const desireds = fc.array(key, { maxLength: 12 }).map((ks) => ks.map((k) => ({ ...k, image: 'x' })));

    /** Applies the plan to the actual set, the way a perfect executor would. */
    function apply(a: Actual[], steps: Step<Actual, Desired>[]): InstanceKey[] {
      const removed = new Set(steps.flatMap((s) => (s.action === 'remove' ? [s.instance] : [])));
      const created = steps.flatMap((s) => (s.action === 'create' ? [s.spec] : []));
      return [...a.filter((x) => !removed.has(x)), ...created];
    }

    it('leaves exactly one instance per desired slot and none elsewhere', () => {
      fc.assert(
        fc.property(actuals, desireds, (a, d) => {
          const after = apply(a, plan(a, d));
          const slots = after.map(slotKey);
          expect(new Set(slots).size).toBe(slots.length);
          expect(new Set(slots)).toEqual(new Set(d.map(slotKey)));
        }),
      );
    });

    it('ends each slot at the highest of the desired and kept generations, never lower than desired', () => {
      fc.assert(
        fc.property(actuals, desireds, (a, d) => {
          const after = apply(a, plan(a, d));
          for (const inst of after) {
            const wanted = Math.max(...d.filter((x) => slotKey(x) === slotKey(inst)).map((x) => x.generation));
            const had = a.filter((x) => slotKey(x) === slotKey(inst)).map((x) => x.generation);
            expect(inst.generation).toBeGreaterThanOrEqual(wanted);
            if (inst.generation > wanted) {
              expect(had).toContain(inst.generation);
            }
          }
        }),
      );
    });

    it('is idempotent: planning again after applying yields nothing', () => {
      fc.assert(
        fc.property(actuals, desireds, (a, d) => {
          const after = apply(a, plan(a, d)).map((k, i) => ({ ...k, containerId: `n${i}` }));
          expect(plan(after, d)).toEqual([]);
        }),
      );
    });

    it('never removes the only instance of a slot when it has the desired generation', () => {
      fc.assert(
        fc.property(actuals, desireds, (a, d) => {
          for (const step of plan(a, d)) {
            if (step.action !== 'remove') {
              continue;
            }
            const sameSlot = a.filter((x) => slotKey(x) === slotKey(step.instance));
            const wanted = Math.max(
              -1,
              ...d.filter((x) => slotKey(x) === slotKey(step.instance)).map((x) => x.generation),
            );
            if (sameSlot.length === 1) {
              expect(step.instance.generation).not.toBe(wanted);
            }
          }
        }),
      );
    });

    it('orders all removals before all creations', () => {
      fc.assert(
        fc.property(actuals, desireds, (a, d) => {
          const kinds = plan(a, d).map((s) => s.action);
          const firstCreate = kinds.indexOf('create');
          if (firstCreate >= 0) {
            expect(kinds.slice(firstCreate).every((k) => k === 'create')).toBe(true);
          }
        }),
      );
    });
  });
});
