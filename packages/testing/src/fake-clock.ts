import type { Clock } from '@canopy/schema';

interface PendingTimer {
  at: number;
  seq: number;
  fn: () => void;
}

/**
 * A clock that moves only when a test says so. It has the shared `Clock` shape (`now()` in ms) and
 * the node engine's one-off timers, so a crash loop's backoff runs in milliseconds of test time.
 */
export class FakeClock implements Clock {
  private t: number;
  private seq = 0;
  private timers: PendingTimer[] = [];

  constructor(start = 1_700_000_000_000) {
    this.t = start;
  }

  now(): number {
    return this.t;
  }

  setTimer(delayMs: number, fn: () => void): () => void {
    const timer: PendingTimer = { at: this.t + Math.max(0, delayMs), seq: this.seq++, fn };
    this.timers.push(timer);
    return () => {
      this.timers = this.timers.filter((x) => x !== timer);
    };
  }

  /** Moves time forward, firing every timer that falls due, in due order, at its own instant. */
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      const next = [...this.timers].sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (next === undefined || next.at > end) {
        break;
      }
      this.timers = this.timers.filter((x) => x !== next);
      this.t = Math.max(this.t, next.at);
      next.fn();
    }
    this.t = end;
  }

  /** When the next timer is due, or `undefined` when none is pending. */
  nextTimerAt(): number | undefined {
    return this.timers.reduce<number | undefined>(
      (min, x) => (min === undefined || x.at < min ? x.at : min),
      undefined,
    );
  }

  pendingTimers(): number {
    return this.timers.length;
  }
}
