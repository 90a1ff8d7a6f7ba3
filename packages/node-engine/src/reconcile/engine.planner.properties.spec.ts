import fc from 'fast-check';
import { InstanceStatus, instanceKeyString, type InstanceSpecDto } from '@canopy/schema';
import { FakeClock } from '@canopy/testing';
import type { InstanceRecord, RestartHistory } from './engine-step';
import { planSteps } from './engine.planner';
import { BACKOFF, T0, exited, options, record, spec } from '../../test/support/engine-records';

describe('planSteps(actual, desired, now, history): properties', () => {
  describe('properties over arbitrary inputs', () => {
    const statuses = [
      InstanceStatus.CREATING,
      InstanceStatus.RUNNING,
      InstanceStatus.DEAD,
      InstanceStatus.COMPLETED,
      InstanceStatus.FAILED,
    ];
    const exitArb = fc.option(
      fc.record({
        code: fc.option(fc.constantFrom(0, 1, 137), { nil: undefined }),
        oomKilled: fc.boolean(),
        vanished: fc.boolean(),
        at: fc.integer({ min: T0 - 700_000, max: T0 }),
        settled: fc.boolean(),
      }),
      { nil: undefined },
    );
    const recordArb = fc
      .record({
        serviceId: fc.constantFrom('a', 'b'),
        instanceNumber: fc.integer({ min: 0, max: 1 }),
        generation: fc.integer({ min: 1, max: 3 }),
        oneShot: fc.boolean(),
        status: fc.constantFrom(...statuses),
        phase: fc.constantFrom(undefined, 'created' as const, 'up' as const, 'exited' as const),
        exit: exitArb,
      })
      .map((r) =>
        record({
          ...r,
          containerId: r.phase === undefined ? undefined : `c-${r.serviceId}${r.instanceNumber}${r.generation}`,
        }),
      );
    const actualArb = fc.array(recordArb, { maxLength: 6 });
    const desiredArb = fc
      .array(
        fc.record({
          serviceId: fc.constantFrom('a', 'b'),
          instanceNumber: fc.integer({ min: 0, max: 1 }),
          generation: fc.integer({ min: 1, max: 3 }),
          oneShot: fc.boolean(),
        }),
        { maxLength: 4 },
      )
      .map((ds) => ds.map((d) => spec(d.serviceId, d)));
    const historyArb = fc.record({
      restarts: fc.integer({ min: 0, max: 20 }),
      attempt: fc.integer({ min: 0, max: 20 }),
      startedAt: fc.integer({ min: T0 - 800_000, max: T0 }),
    });
    const input = fc.tuple(
      actualArb,
      desiredArb,
      fc.integer({ min: T0, max: T0 + 400_000 }),
      historyArb,
      fc.boolean(),
      fc.boolean(),
    );

    const run = ([a, d, now, h, removeUndesired, restartCrashed]: [
      InstanceRecord[],
      InstanceSpecDto[],
      number,
      RestartHistory,
      boolean,
      boolean,
    ]) => {
      const history = new Map(a.map((r) => [instanceKeyString(r), h]));
      return planSteps(a, d, now, history, options({ removeUndesired, restartCrashed }));
    };

    it('never plans two steps for one container, nor two launches for one slot', () => {
      fc.assert(
        fc.property(input, (args) => {
          const steps = run(args);
          const records = steps.flatMap((s) => ('record' in s && s.record !== undefined ? [s.record] : []));
          expect(new Set(records).size).toBe(records.length);
          const launches = steps.flatMap((s) =>
            s.kind === 'pull' || s.kind === 'create' || s.kind === 'refuse'
              ? [`${s.spec.serviceId}/${s.spec.instanceNumber}`]
              : [],
          );
          expect(new Set(launches).size).toBe(launches.length);
        }),
      );
    });

    it('never restarts before the backoff delay after the exit, nor later than the cap', () => {
      fc.assert(
        fc.property(input, (args) => {
          for (const step of run(args)) {
            if (step.kind !== 'restart') {
              continue;
            }
            const exitAt = step.record.exit?.at ?? Number.NaN;
            expect(step.notBefore - exitAt).toBeGreaterThanOrEqual(BACKOFF.baseMs);
            expect(step.notBefore - exitAt).toBeLessThanOrEqual(BACKOFF.maxMs);
          }
        }),
      );
    });

    it('never restarts a completed instance or a one-shot job that exited 0', () => {
      fc.assert(
        fc.property(input, (args) => {
          for (const step of run(args)) {
            if (step.kind !== 'restart' && !(step.kind === 'crash' && step.restart !== undefined)) {
              continue;
            }
            expect(step.record.status).not.toBe(InstanceStatus.COMPLETED);
            const e = step.record.exit;
            expect(step.record.oneShot && e?.code === 0 && !e.vanished).toBe(false);
          }
        }),
      );
    });

    it('restarts nothing while the engine stops, and removes nothing undesired while adopting', () => {
      fc.assert(
        fc.property(input, (args) => {
          const steps = run(args);
          const [, desired, , , removeUndesired, restartCrashed] = args;
          if (!restartCrashed) {
            expect(steps.some((s) => s.kind === 'restart' || (s.kind === 'crash' && s.restart))).toBe(false);
          }
          if (!removeUndesired) {
            const wantedSlots = new Set(desired.map((d) => `${d.serviceId}/${d.instanceNumber}`));
            for (const s of steps) {
              if (s.kind === 'stop' || s.kind === 'remove') {
                expect(wantedSlots.has(`${s.record.serviceId}/${s.record.instanceNumber}`)).toBe(true);
              }
            }
          }
        }),
      );
    });

    it('puts every removal before any other step', () => {
      fc.assert(
        fc.property(input, (args) => {
          const isRemoval = run(args).map((s) => s.kind === 'stop' || s.kind === 'remove');
          const firstOther = isRemoval.indexOf(false);
          if (firstOther >= 0) {
            expect(isRemoval.slice(firstOther)).not.toContain(true);
          }
        }),
      );
    });
  });

  describe('a crash loop on the fake clock, with a perfect executor', () => {
    /**
     * Plays the plan against plain data the way the executors do against Docker: the container
     * runs `runMs` after every start and exits with `code`; a restart not yet due waits for a timer.
     */
    function simulate(s: InstanceSpecDto, runMs: number, code: number, forMs: number) {
      const clock = new FakeClock(T0);
      const records: InstanceRecord[] = [];
      const history = new Map<string, RestartHistory>();
      const events: { at: number; kind: string; notBefore?: number; status?: string }[] = [];
      const startContainer = (r: InstanceRecord): void => {
        r.phase = 'up';
        r.status = InstanceStatus.RUNNING;
        delete r.exit;
        clock.setTimer(runMs, () => {
          r.phase = 'exited';
          r.exit = exited(code, clock.now());
          converge();
        });
      };
      const converge = (): void => {
        for (let round = 0; round < 10; round++) {
          const steps = planSteps(records, [s], clock.now(), history, options());
          let progressed = steps.length > 0;
          for (const step of steps) {
            events.push({
              at: clock.now(),
              kind: step.kind,
              ...(step.kind === 'restart' ? { notBefore: step.notBefore } : {}),
            });
            const key = instanceKeyString(s);
            if (step.kind === 'create') {
              records.push(record({ ...s, status: InstanceStatus.CREATING, phase: 'created', containerId: 'c1' }));
            } else if (step.kind === 'start') {
              history.set(key, { restarts: 0, attempt: 0, startedAt: clock.now() });
              startContainer(step.record);
            } else if (step.kind === 'complete' || step.kind === 'crash') {
              step.record.exit = { ...step.record.exit!, settled: true };
              step.record.status = step.kind === 'complete' ? InstanceStatus.COMPLETED : InstanceStatus.DEAD;
            } else if (step.kind === 'restart') {
              if (clock.now() < step.notBefore) {
                clock.setTimer(step.notBefore - clock.now(), converge);
                progressed = false;
                continue;
              }
              const h = history.get(key)!;
              history.set(key, { restarts: h.restarts + 1, attempt: step.attempt + 1, startedAt: clock.now() });
              startContainer(step.record);
            } else {
              throw new Error(`unexpected step ${step.kind}`);
            }
          }
          if (!progressed) {
            return;
          }
        }
      };
      converge();
      clock.advance(forMs);
      return { events, history, records, clock };
    }

    it('restarts a crashing container at 10 s, 20 s, 40 s … after each exit, never earlier', () => {
      const { events } = simulate(spec(), 500, 1, 200_000);
      // A restart step is planned at the crash (it waits) and again when its timer fires (it runs).
      const planned = events.filter((e) => e.kind === 'restart');
      const restarts = planned.filter((e) => e.at >= (e.notBefore ?? Number.POSITIVE_INFINITY));
      expect(planned.filter((e) => e.at < (e.notBefore ?? 0)).length).toBe(restarts.length + 1);
      const crashes = events.filter((e) => e.kind === 'crash').map((e) => e.at);
      const gaps = restarts.map((r, i) => r.at - (crashes[i] ?? Number.NaN));
      expect(gaps.slice(0, 4)).toEqual([10_000, 20_000, 40_000, 80_000]);
    });

    it('ends a one-shot job that exits 0 as COMPLETED and plans nothing for it ever after', () => {
      const { events, records, clock } = simulate(spec('a', { oneShot: true }), 300, 0, 3_600_000);
      expect(events.map((e) => e.kind)).toEqual(['create', 'start', 'complete']);
      expect(records[0]?.status).toBe(InstanceStatus.COMPLETED);
      expect(clock.pendingTimers()).toBe(0);
    });

    it('restarts a one-shot job that fails, with the same backoff', () => {
      const { events } = simulate(spec('a', { oneShot: true }), 300, 3, 35_000);
      expect(events.filter((e) => e.kind === 'crash').length).toBe(3);
      expect(events.filter((e) => e.kind === 'complete')).toEqual([]);
    });
  });
});
