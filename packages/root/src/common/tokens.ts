/** Injection tokens for values that are not classes. */
export const ROOT_CONFIG = Symbol('ROOT_CONFIG');
export const ROOT_SECRETS = Symbol('ROOT_SECRETS');
export const LOGGER = Symbol('LOGGER');
export const CLOCK = Symbol('CLOCK');
/** Test seam: told when a quota reservation must wait for another one of the same owner. */
export const QUOTA_WAIT_PROBE = Symbol('QUOTA_WAIT_PROBE');
export type QuotaWaitProbe = (ownerId: string) => void;

/** The clock port, so tests and the reconciler can control time. */
export interface Clock {
  now(): Date;
}
export const systemClock: Clock = { now: () => new Date() };

/** The `iss` every JWT the root signs carries, and the only one it accepts. */
export const JWT_ISSUER = 'canopy-root';
