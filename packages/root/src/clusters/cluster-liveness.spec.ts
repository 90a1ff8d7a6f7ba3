import { SilenceClock, clusterState } from './cluster-liveness';

const timers = { suspectMs: 10_000, lostMs: 120_000 };

describe('clusterState', () => {
  it.each([
    [0, 'live'],
    [9_999, 'live'],
    [10_000, 'suspect'],
    [119_999, 'suspect'],
    [120_000, 'lost'],
  ] as const)('silent %i ms → %s', (silent, state) => {
    expect(clusterState(silent, timers)).toBe(state);
  });
});

describe('SilenceClock', () => {
  it('measures silence from the last time a cluster was heard', () => {
    const clock = new SilenceClock(0, 1000);
    clock.heard('a', 5_000);
    expect(clock.silentFor('a', 8_000)).toBe(3_000);
    clock.heard('a', 4_000); // a late-handled event never moves the clock back
    expect(clock.silentFor('a', 8_000)).toBe(3_000);
  });

  it('counts a cluster never heard since the root started from the start, not from its last life', () => {
    const clock = new SilenceClock(100_000, 1000);
    expect(clock.silentFor('never', 104_000)).toBe(4_000);
  });

  it('forgives the gap of a pause of its own, so no cluster is judged by it', () => {
    const clock = new SilenceClock(0, 1000);
    clock.heard('a', 1_000);
    for (let t = 1_000; t <= 3_000; t += 1000) expect(clock.tick(t)).toBe(0);
    // The root was frozen for 90 s: the next tick arrives 90 s late.
    expect(clock.tick(93_000)).toBe(89_000);
    expect(clock.silentFor('a', 93_000)).toBe(3_000);
    expect(clusterState(clock.silentFor('a', 93_000), timers)).toBe('live');
    expect(clock.silentFor('never', 93_000)).toBe(4_000);
  });

  it('does not forgive ordinary timer lateness under load', () => {
    const clock = new SilenceClock(0, 1000);
    clock.heard('a', 0);
    expect(clock.tick(1_000)).toBe(0);
    expect(clock.tick(3_500)).toBe(0);
    expect(clock.silentFor('a', 3_500)).toBe(3_500);
  });
});
