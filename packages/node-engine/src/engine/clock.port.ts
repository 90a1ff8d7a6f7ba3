/** Time behind a port: restart backoff and throttling are driven by it, so tests can run them fast. */
export interface EngineClock {
  now(): number;
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
