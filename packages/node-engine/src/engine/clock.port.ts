import type { Clock } from '@canopy/schema';

/**
 * The shared clock shape plus one-off timers: the crash loop waits for a restart's `notBefore`
 * on it, so a fake clock (`FakeClock` in `@canopy/testing`) drives backoff in milliseconds.
 */
export interface EngineClock extends Clock {
  /** Runs `fn` once after `delayMs`; the returned function cancels it. */
  setTimer(delayMs: number, fn: () => void): () => void;
}

export const systemClock: EngineClock = {
  now: () => Date.now(),
  setTimer: (delayMs, fn) => {
    const timer = setTimeout(fn, delayMs);
    return () => clearTimeout(timer);
  },
};
