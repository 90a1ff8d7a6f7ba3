/**
 * The one clock port shape every tier uses: milliseconds since the epoch, the same number as
 * `Date.now()`. Time sits behind it so liveness, backoff and throttling can be driven by a fake
 * clock (`FakeClock` in `@canopy/testing`) in milliseconds instead of on the wall clock.
 */
export interface Clock {
  now(): number;
}

/** The production clock. */
export const systemClock: Clock = { now: () => Date.now() };
