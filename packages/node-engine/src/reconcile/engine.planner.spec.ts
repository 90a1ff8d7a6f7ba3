import fc from 'fast-check';
import { InstanceStatus, instanceKeyString, type InstanceSpecDto } from '@canopy/schema';
import { FakeClock, instanceSpec } from '@canopy/testing';
import type { SafetyPolicy } from '../policy/instance-safety.policy';
import type { EngineStep, ExitObservation, InstanceRecord, RestartHistory } from './engine-step';
import { planSteps, type PlanOptions } from './engine.planner';

const BACKOFF = { baseMs: 10_000, maxMs: 300_000, resetAfterMs: 600_000 };
const POLICY: SafetyPolicy = {
  allowPrivileged: false,
  allowHostNamespaces: false,
  allowBindMounts: false,
  allowDockerSocket: false,
  allowCapabilities: [],
  imageAllowlist: [],
  gpus: 0,
};
const IMAGE = 'canopy-test/busybox:latest';
const T0 = 1_000_000;

function options(overrides: Partial<PlanOptions> = {}): PlanOptions {
  return {
    backoff: BACKOFF,
    policy: POLICY,
    images: new Set([IMAGE]),
    removeUndesired: true,
    announceRemovals: false,
    restartCrashed: true,
    ...overrides,
  };
}

function spec(serviceId = 'a', overrides: Partial<InstanceSpecDto> = {}): InstanceSpecDto {
  return instanceSpec(serviceId, { image: IMAGE, ...overrides });
}

function record(overrides: Partial<InstanceRecord> = {}): InstanceRecord {
  return {
    serviceId: 'a',
    instanceNumber: 0,
    generation: 1,
    jobName: 'job',
    oneShot: false,
    status: InstanceStatus.RUNNING,
    containerId: 'c1',
    phase: 'up',
    hostPorts: [],
    at: T0,
    ...overrides,
  };
}

function exited(code: number | undefined, at = T0, more: Partial<ExitObservation> = {}): ExitObservation {
  return { code, vanished: false, at, settled: false, ...more };
}

function historyOf(r: InstanceRecord, h: Partial<RestartHistory> = {}): Map<string, RestartHistory> {
  return new Map([[instanceKeyString(r), { restarts: 0, attempt: 0, startedAt: T0 - 1000, ...h }]]);
}

/** Steps as short strings, so expectations read like what an operator would expect. */
function kinds(steps: EngineStep[]): string[] {
  return steps.map((s) => {
    if (s.kind === 'restart') return `restart@+${s.notBefore - (s.record.exit?.at ?? 0)}`;
    if (s.kind === 'crash') return s.restart === undefined ? 'crash' : `crash(restart in ${s.restart.inMs})`;
    return s.kind;
  });
}

describe('planSteps(actual, desired, now, history)', () => {
  describe('launching', () => {
    it('creates a desired instance whose image is here, pulls one whose image is not', () => {
      expect(kinds(planSteps([], [spec()], T0, new Map(), options()))).toEqual(['create']);
      expect(kinds(planSteps([], [spec()], T0, new Map(), options({ images: new Set() })))).toEqual(['pull']);
    });

    it('refuses what the node policy forbids before touching Docker', () => {
      const [step] = planSteps([], [spec('a', { privileged: true })], T0, new Map(), options());
      expect(step?.kind).toBe('refuse');
      expect(step?.kind === 'refuse' && step.reasons.join()).toMatch(/privileged/);
    });

    it('creates the container once the image is pulled, then starts it', () => {
      const pulled = record({ status: InstanceStatus.CREATING, phase: undefined, containerId: undefined });
      expect(kinds(planSteps([pulled], [spec()], T0, new Map(), options()))).toEqual(['create']);
      const created = record({ status: InstanceStatus.CREATING, phase: 'created' });
      expect(kinds(planSteps([created], [spec()], T0, new Map(), options()))).toEqual(['start']);
    });

    it('leaves a running instance and a failed one alone', () => {
      expect(planSteps([record()], [spec()], T0, new Map(), options())).toEqual([]);
      const failed = record({ status: InstanceStatus.FAILED, containerId: undefined, phase: undefined });
      expect(planSteps([failed], [spec()], T0, new Map(), options())).toEqual([]);
    });
  });

  describe('one-shot semantics', () => {
    it('completes a one-shot job that exited 0, and never restarts it afterwards', () => {
      const r = record({ oneShot: true, phase: 'exited', exit: exited(0) });
      const [step] = planSteps([r], [spec('a', { oneShot: true })], T0, historyOf(r), options());
      expect(step).toEqual({ kind: 'complete', record: r, detail: 'container exited with code 0' });
      const done = record({
        oneShot: true,
        phase: 'exited',
        status: InstanceStatus.COMPLETED,
        exit: { ...exited(0), settled: true },
      });
      for (const later of [0, BACKOFF.baseMs, BACKOFF.maxMs, 10 * BACKOFF.resetAfterMs]) {
        expect(planSteps([done], [spec('a', { oneShot: true })], T0 + later, historyOf(done), options())).toEqual([]);
      }
    });

    it('treats a one-shot that failed, or vanished, like any crash', () => {
      const failed = record({ oneShot: true, phase: 'exited', exit: exited(2) });
      expect(kinds(planSteps([failed], [spec()], T0, historyOf(failed), options()))).toEqual([
        'crash(restart in 10000)',
      ]);
      const gone = record({
        oneShot: true,
        containerId: undefined,
        phase: undefined,
        exit: exited(undefined, T0, { vanished: true }),
      });
      const [step] = planSteps([gone], [spec()], T0, historyOf(gone), options());
      expect(step?.kind === 'crash' && step.detail).toBe('container disappeared (removed outside Canopy)');
    });

    it('crashes a service that exited 0: only one-shot jobs complete', () => {
      const r = record({ phase: 'exited', exit: exited(0) });
      expect(kinds(planSteps([r], [spec()], T0, historyOf(r), options()))).toEqual(['crash(restart in 10000)']);
    });
  });

  describe('crash-loop backoff', () => {
    const dead = (
      attempt: number,
      restarts = attempt,
      ranForMs = 1000,
    ): [InstanceRecord, Map<string, RestartHistory>] => {
      const r = record({ status: InstanceStatus.DEAD, phase: 'exited', exit: { ...exited(1), settled: true } });
      return [r, historyOf(r, { attempt, restarts, startedAt: T0 - ranForMs })];
    };

    it('restarts after 10 s, doubling to a 5 min cap', () => {
      const delays = [0, 1, 2, 3, 4, 5, 6, 9].map((attempt) => {
        const [r, h] = dead(attempt);
        const [step] = planSteps([r], [spec()], T0, h, options());
        return step?.kind === 'restart' ? (step.notBefore - T0) / 1000 : undefined;
      });
      expect(delays).toEqual([10, 20, 40, 80, 160, 300, 300, 300]);
    });

    it('goes back to the base delay after a long enough healthy run, and only then', () => {
      const [long, hl] = dead(5, 5, BACKOFF.resetAfterMs);
      expect(kinds(planSteps([long], [spec()], T0, hl, options()))).toEqual(['restart@+10000']);
      const [short, hs] = dead(5, 5, BACKOFF.resetAfterMs - 1);
      expect(kinds(planSteps([short], [spec()], T0, hs, options()))).toEqual(['restart@+300000']);
    });

    it('announces the delay and the restart number with the crash', () => {
      const r = record({ phase: 'exited', exit: exited(1) });
      const [step] = planSteps([r], [spec()], T0, historyOf(r, { restarts: 2, attempt: 2 }), options());
      expect(step).toEqual({
        kind: 'crash',
        record: r,
        detail: 'container exited with code 1',
        restart: { inMs: 40_000, number: 3 },
      });
    });

    it('names the exit an out-of-memory kill', () => {
      const r = record({ phase: 'exited', exit: exited(137, T0, { oomKilled: true }) });
      const [step] = planSteps([r], [spec()], T0, historyOf(r), options());
      expect(step?.kind === 'crash' && step.detail).toBe('container exited with code 137 (killed: out of memory)');
    });

    it('never restarts what is no longer desired as it is, or while the engine stops', () => {
      const [r, h] = dead(0);
      expect(kinds(planSteps([r], [spec('a', { generation: 2 })], T0, h, options()))).toEqual(['remove', 'create']);
      expect(planSteps([r], [spec()], T0, h, options({ restartCrashed: false }))).toEqual([]);
      const fresh = record({ phase: 'exited', exit: exited(1) });
      expect(kinds(planSteps([fresh], [], T0, h, options({ removeUndesired: false })))).toEqual(['crash']);
      expect(kinds(planSteps([fresh], [spec()], T0, h, options({ restartCrashed: false })))).toEqual(['crash']);
    });

    it('makes a fresh container when the restart found none to start', () => {
      const r = record({
        status: InstanceStatus.DEAD,
        containerId: undefined,
        phase: undefined,
        exit: { ...exited(undefined), vanished: true, settled: true },
      });
      const h = historyOf(r, { restarts: 1, attempt: 1, startedAt: T0 + 10_000 });
      expect(kinds(planSteps([r], [spec()], T0 + 10_000, h, options()))).toEqual(['create']);
      expect(kinds(planSteps([r], [spec()], T0 + 10_000, h, options({ images: new Set() })))).toEqual(['pull']);
    });

    it('reports a container started again by hand as running', () => {
      for (const status of [InstanceStatus.DEAD, InstanceStatus.COMPLETED]) {
        const r = record({ status, phase: 'up', exit: { ...exited(1), settled: true } });
        expect(kinds(planSteps([r], [spec()], T0, historyOf(r), options()))).toEqual(['resume']);
      }
    });
  });

  describe('removal', () => {
    it('stops a running container before removing it; removes a stopped one straight away', () => {
      expect(kinds(planSteps([record()], [], T0, new Map(), options()))).toEqual(['stop']);
      expect(kinds(planSteps([record({ phase: 'exited' })], [], T0, new Map(), options()))).toEqual(['remove']);
      expect(
        kinds(planSteps([record({ phase: undefined, containerId: undefined })], [], T0, new Map(), options())),
      ).toEqual(['remove']);
    });

    it('announces only removals of instances no longer desired, and only when asked', () => {
      const [plain] = planSteps([record()], [], T0, new Map(), options());
      const [announced] = planSteps([record()], [], T0, new Map(), options({ announceRemovals: true }));
      const [superseded] = planSteps(
        [record()],
        [spec('a', { generation: 2 })],
        T0,
        new Map(),
        options({ announceRemovals: true }),
      );
      expect([plain, announced, superseded].map((s) => s?.kind === 'stop' && s.announce)).toEqual([false, true, false]);
    });

    it('keeps undesired containers while adopting, and replaces a lower generation: removal first', () => {
      expect(planSteps([record()], [], T0, new Map(), options({ removeUndesired: false }))).toEqual([]);
      expect(kinds(planSteps([record()], [spec('a', { generation: 2 })], T0, new Map(), options()))).toEqual([
        'stop',
        'create',
      ]);
    });
  });

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
            if (step.kind !== 'restart') continue;
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
            if (step.kind !== 'restart' && !(step.kind === 'crash' && step.restart !== undefined)) continue;
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
          if (!restartCrashed)
            expect(steps.some((s) => s.kind === 'restart' || (s.kind === 'crash' && s.restart))).toBe(false);
          if (!removeUndesired) {
            const wantedSlots = new Set(desired.map((d) => `${d.serviceId}/${d.instanceNumber}`));
            for (const s of steps)
              if (s.kind === 'stop' || s.kind === 'remove')
                expect(wantedSlots.has(`${s.record.serviceId}/${s.record.instanceNumber}`)).toBe(true);
          }
        }),
      );
    });

    it('puts every removal before any other step', () => {
      fc.assert(
        fc.property(input, (args) => {
          const isRemoval = run(args).map((s) => s.kind === 'stop' || s.kind === 'remove');
          const firstOther = isRemoval.indexOf(false);
          if (firstOther >= 0) expect(isRemoval.slice(firstOther)).not.toContain(true);
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
          if (!progressed) return;
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
