import { InstanceStatus } from '@canopy/schema';
import type { InstanceRecord, RestartHistory } from './engine-step';
import { planSteps } from './engine.planner';
import { BACKOFF, T0, exited, historyOf, kinds, options, record, spec } from '../../test/support/engine-records';

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
});
