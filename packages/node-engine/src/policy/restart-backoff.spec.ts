import { DEFAULT_RESTART_BACKOFF, attemptAfterCrash, restartDelayMs } from './restart-backoff';

describe('restart backoff', () => {
  it('waits 10 s, doubling up to a 5 min cap, by default', () => {
    const delays = Array.from({ length: 8 }, (_, attempt) => restartDelayMs(attempt, DEFAULT_RESTART_BACKOFF) / 1000);
    expect(delays).toEqual([10, 20, 40, 80, 160, 300, 300, 300]);
    expect(restartDelayMs(500, DEFAULT_RESTART_BACKOFF)).toBe(300_000);
  });

  it('follows configured base and cap', () => {
    const fast = { baseMs: 100, maxMs: 500, resetAfterMs: 2000 };
    expect([0, 1, 2, 3, 4].map((a) => restartDelayMs(a, fast))).toEqual([100, 200, 400, 500, 500]);
  });

  it('starts again from the base after a long enough healthy run, and only then', () => {
    expect(attemptAfterCrash(5, 10 * 60_000, DEFAULT_RESTART_BACKOFF)).toBe(0);
    expect(attemptAfterCrash(5, 10 * 60_000 - 1, DEFAULT_RESTART_BACKOFF)).toBe(5);
    expect(attemptAfterCrash(0, 0, DEFAULT_RESTART_BACKOFF)).toBe(0);
  });
});
