/** Local self-healing timing (issue: 10 s doubling to a 5 min cap, reset after 10 min healthy). */
export interface RestartBackoffSettings {
  baseMs: number;
  maxMs: number;
  /** a container that ran at least this long before crashing starts again from `baseMs` */
  resetAfterMs: number;
}

export const DEFAULT_RESTART_BACKOFF: RestartBackoffSettings = {
  baseMs: 10_000,
  maxMs: 5 * 60_000,
  resetAfterMs: 10 * 60_000,
};

/** Delay before restart number `attempt` (0-based) of a crash loop: base · 2^attempt, capped. Pure. */
export function restartDelayMs(attempt: number, settings: RestartBackoffSettings): number {
  const exponent = Math.min(Math.max(0, Math.floor(attempt)), 30);
  return Math.min(settings.maxMs, settings.baseMs * 2 ** exponent);
}

/**
 * The crash loop's position after a crash: back to 0 when the container had been up long enough,
 * else the next step. `ranForMs` is how long it ran since its last (re)start.
 */
export function attemptAfterCrash(previousAttempt: number, ranForMs: number, settings: RestartBackoffSettings): number {
  return ranForMs >= settings.resetAfterMs ? 0 : previousAttempt;
}
