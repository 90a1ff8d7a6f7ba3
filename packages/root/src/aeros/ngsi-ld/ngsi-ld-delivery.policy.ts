/**
 * How the publisher reacts to a broker reply, kept pure so it can be tested with plain numbers.
 *
 * The delay is a function of a failure count rather than a cockatiel backoff: the count lives in
 * the outbox row and must give the same delay after a root restart, and cockatiel's backoffs are
 * in-memory iterators.
 */

export interface RetrySettings {
  retryBaseMs: number;
  retryMaxMs: number;
}

/** Delay after failure number `failures` (1-based): base, 2·base, 4·base … capped at max. */
export function retryDelayMs(failures: number, settings: RetrySettings): number {
  const exponent = Math.min(Math.max(0, Math.floor(failures) - 1), 30);
  return Math.min(settings.retryMaxMs, settings.retryBaseMs * 2 ** exponent);
}

/** What to do with a row after one request. `undefined` status: no reply (refused, reset, timeout). */
export type Outcome = 'delivered' | 'retry' | 'reject' | 'notFound' | 'exists';

export function outcomeOf(status: number | undefined): Outcome {
  if (status === undefined) {
    return 'retry';
  }
  if (status >= 200 && status < 300) {
    return 'delivered';
  }
  if (status === 404) {
    return 'notFound';
  }
  if (status === 409) {
    return 'exists';
  }
  // 408 and 429 say "not now" rather than "never": retried like a 5xx.
  if (status === 408 || status === 429) {
    return 'retry';
  }
  if (status >= 500) {
    return 'retry';
  }
  // Other 4xx (and a 3xx fetch did not follow) will not change by sending the same thing again.
  return 'reject';
}
