import { FakeClock } from '@canopy/testing';
import {
  RECOVERY_HOLDS,
  holdMs,
  initialPace,
  livenessWindowMs,
  planPace,
  type PaceReason,
  type PaceSettings,
  type PaceState,
} from './report-pace.planner';

// The defaults: 2 s reports, 5,000 reports/s, 8 s liveness, 100 ms loop delay, at most 60 s.
const SETTINGS: PaceSettings = {
  baseIntervalMs: 2000,
  maxIntervalMs: 60_000,
  reportsPerSecond: 5000,
  loopDelayMs: 100,
  livenessMs: 8000,
};

/** Drives the planner the way ReportPaceService does: one plan a second on a fake clock. */
class Driver {
  readonly clock = new FakeClock();
  state: PaceState;
  readonly reasons: PaceReason[] = [];

  constructor(readonly settings: PaceSettings = SETTINGS) {
    this.state = initialPace(settings);
  }

  step(activeNodes: number, loopDelayMs = 10): PaceState {
    this.clock.advance(1000);
    const plan = planPace(this.settings, this.state, { activeNodes, loopDelayMs, now: this.clock.now() });
    this.state = plan.state;
    if (plan.reason !== undefined) {
      this.reasons.push(plan.reason);
    }
    return this.state;
  }

  run(seconds: number, activeNodes: number, loopDelayMs = 10): PaceState {
    for (let i = 0; i < seconds; i++) {
      this.step(activeNodes, loopDelayMs);
    }
    return this.state;
  }
}

describe('planPace', () => {
  it('keeps the base interval up to the configured capacity (10,000 nodes at 2 s = 5,000 reports/s)', () => {
    const d = new Driver();
    expect(d.run(30, 10_000)).toMatchObject({ intervalMs: 2000, livenessMs: 8000, pressure: 1 });
    expect(d.reasons).toEqual([]);
  });

  it.each([
    [10_001, 4000],
    [20_000, 4000],
    [20_001, 8000],
    [50_000, 16_000],
    [1_000_000, 60_000],
  ])('lengthens the interval for %i nodes to %i ms, and the liveness window with it', (nodes, interval) => {
    const d = new Driver();
    const s = d.step(nodes);
    expect(s.intervalMs).toBe(interval);
    expect(s.livenessMs).toBe((8000 * interval) / 2000);
    expect(d.reasons).toEqual(['rate']);
  });

  it('lengthens at once when more nodes arrive, even right after a change', () => {
    const d = new Driver();
    d.step(15_000);
    expect(d.state.intervalMs).toBe(4000);
    d.step(30_000);
    expect(d.state.intervalMs).toBe(8000);
    expect(d.reasons).toEqual(['rate', 'rate']);
  });

  it('returns to the base interval when load falls, after the hold, keeping the wider window one more window', () => {
    const d = new Driver();
    d.step(50_000);
    const changedAt = d.clock.now();
    d.step(1000);
    expect(d.state.intervalMs).toBe(16_000);
    // Held for two intervals of 16 s after the change.
    while (d.clock.now() - changedAt < holdMs(16_000) - 1000) {
      d.step(1000);
      expect(d.state.intervalMs).toBe(16_000);
    }
    d.step(1000);
    expect(d.state.intervalMs).toBe(2000);
    expect(d.reasons).toEqual(['rate', 'recovered']);
    // Nodes still on 16 s until told at their next report: the 64 s window stays for 64 s more.
    const shortenedAt = d.clock.now();
    expect(livenessWindowMs(d.state, shortenedAt)).toBe(64_000);
    expect(livenessWindowMs(d.state, shortenedAt + 63_999)).toBe(64_000);
    d.run(64, 1000);
    expect(livenessWindowMs(d.state, d.clock.now())).toBe(8000);
  });

  it('holds a step while the node count hovers at its boundary (10 % headroom to come back)', () => {
    const d = new Driver();
    d.step(10_500);
    expect(d.state.intervalMs).toBe(4000);
    // 9,500 nodes would fit 2 s (4,750/s ≤ 5,000) but not with headroom (≤ 4,500): stays at 4 s.
    d.run(60, 9500);
    expect(d.state.intervalMs).toBe(4000);
    d.run(10, 8900);
    expect(d.state.intervalMs).toBe(2000);
    expect(d.reasons).toEqual(['rate', 'recovered']);
  });

  it('doubles the interval while the event loop is late, and halves it once the delay is well below', () => {
    const d = new Driver();
    d.step(1000, 300);
    expect(d.state).toMatchObject({ intervalMs: 4000, pressure: 2 });
    // Within the hold (8 s) nothing more happens however late the loop is.
    d.run(7, 1000, 300);
    expect(d.state.intervalMs).toBe(4000);
    d.step(1000, 300);
    expect(d.state).toMatchObject({ intervalMs: 8000, pressure: 4 });
    // A delay between half the threshold and the threshold: neither worse nor better, it stays.
    d.run(120, 1000, 70);
    expect(d.state.intervalMs).toBe(8000);
    // Calm for five holds of 16 s before it halves, and five of 8 s before it halves again.
    d.run((RECOVERY_HOLDS * holdMs(8000)) / 1000, 1000, 20);
    expect(d.state.intervalMs).toBe(8000);
    d.step(1000, 20);
    expect(d.state.intervalMs).toBe(4000);
    // One late second restarts the count of calm.
    d.run(30, 1000, 20);
    d.step(1000, 70);
    d.run((RECOVERY_HOLDS * holdMs(4000)) / 1000, 1000, 20);
    expect(d.state.intervalMs).toBe(4000);
    d.step(1000, 20);
    expect(d.state).toMatchObject({ intervalMs: 2000, pressure: 1 });
    expect(d.reasons).toEqual(['pressure', 'pressure', 'recovered', 'recovered']);
  });

  it('never asks for more than the maximum, however late the loop', () => {
    const d = new Driver({ ...SETTINGS, maxIntervalMs: 10_000 });
    d.run(600, 40_000, 1000);
    expect(d.state.intervalMs).toBe(10_000);
    expect(d.state.livenessMs).toBe(40_000);
    expect(d.state.pressure).toBeLessThanOrEqual(2);
  });

  it('combines both: the rate step times the pressure', () => {
    const d = new Driver();
    d.step(15_000, 500);
    expect(d.state).toMatchObject({ intervalMs: 8000, rateStepMs: 4000, pressure: 2 });
  });
});
