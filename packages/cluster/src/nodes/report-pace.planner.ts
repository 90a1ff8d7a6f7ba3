/**
 * How often nodes should report, decided from how many there are and how the cluster copes: the
 * cluster's load shedding (issue 14). Pure; `ReportPaceService` feeds it and carries out the plan.
 *
 * Two reasons lengthen the interval, as Nomad scales its heartbeat TTL with the node count
 * (`max_heartbeats_per_second`) and Kubernetes lengthens node-status updates in large clusters:
 * - **rate**: `activeNodes / interval` may not exceed `reportsPerSecond`, the capacity the operator
 *   configured; past `reportsPerSecond × baseIntervalMs / 1000` nodes the interval grows;
 * - **pressure**: the event loop is late by more than `loopDelayMs` (the capacity turned out lower
 *   than configured, e.g. a busy host): the interval doubles, and halves again once the delay has
 *   stayed below half the threshold for `RECOVERY_HOLDS` holds (the longer interval is what made
 *   it calm: coming back at the first calm second would only swing back and forth).
 * Intervals are `baseIntervalMs × 2^k` (never above `maxIntervalMs`), so a wobbling node count does
 * not make every node change pace; a shorter step is taken only with 10 % headroom, and no change
 * follows another within `holdMs` (at least twice the current interval: nodes need one interval to
 * hear of it and one to show it).
 *
 * Liveness follows the interval: a node is inactive after `livenessMs × interval / baseIntervalMs`
 * of silence. When the interval shortens, nodes keep the long one until they are told at their next
 * report, so the longer window stays for one more of its own length.
 */
export interface PaceSettings {
  /** the interval nodes use unless told otherwise (the node engine's default, 2 s) */
  baseIntervalMs: number;
  /** the longest interval the cluster asks for */
  maxIntervalMs: number;
  /** node reports per second the cluster is sized for */
  reportsPerSecond: number;
  /** mean event-loop delay past which the cluster counts itself overloaded */
  loopDelayMs: number;
  /** NODE_LIVENESS_MS: the silence that makes a node inactive at the base interval */
  livenessMs: number;
}

export interface PaceState {
  intervalMs: number;
  /** the interval the rate alone asks for */
  rateStepMs: number;
  /** the factor from event-loop pressure: 1, 2, 4, ... */
  pressure: number;
  /** since when the loop delay has stayed below half the threshold (0 = it has not) */
  calmSince: number;
  /** when the interval last changed (ms since epoch); 0 = never */
  changedAt: number;
  /** the liveness window in force */
  livenessMs: number;
  /** the longer window kept after the interval shortened, and until when */
  widerLivenessMs: number;
  widerUntil: number;
}

export interface PaceInput {
  activeNodes: number;
  /** mean event-loop delay since the last plan */
  loopDelayMs: number;
  now: number;
}

export type PaceReason = 'rate' | 'pressure' | 'recovered';

export interface PacePlan {
  state: PaceState;
  /** set when the interval changed: why */
  reason?: PaceReason | undefined;
}

const HEADROOM = 0.9;
/** Holds of calm before the pressure factor halves. */
export const RECOVERY_HOLDS = 5;

export function initialPace(settings: PaceSettings): PaceState {
  return {
    intervalMs: settings.baseIntervalMs,
    rateStepMs: settings.baseIntervalMs,
    pressure: 1,
    calmSince: 0,
    changedAt: 0,
    livenessMs: settings.livenessMs,
    widerLivenessMs: settings.livenessMs,
    widerUntil: 0,
  };
}

/** The next pace; `reason` tells whether (and why) the interval changed. */
export function planPace(settings: PaceSettings, state: PaceState, input: PaceInput): PacePlan {
  const { now } = input;
  const held = state.changedAt > 0 && now - state.changedAt < holdMs(state.intervalMs);
  let pressure = state.pressure;
  let calmSince = input.loopDelayMs < settings.loopDelayMs / 2 ? state.calmSince || now : 0;
  if (!held) {
    if (input.loopDelayMs > settings.loopDelayMs && state.intervalMs < settings.maxIntervalMs) {
      pressure *= 2;
    } else if (pressure > 1 && calmSince > 0 && now - calmSince >= RECOVERY_HOLDS * holdMs(state.intervalMs)) {
      pressure /= 2;
      calmSince = now;
    }
  }
  const rateStepMs = rateInterval(settings, input.activeNodes, state.rateStepMs);
  const wanted = Math.min(settings.maxIntervalMs, rateStepMs * pressure);
  // Held, the pressure stands, so a longer interval can only come from the rate: more nodes
  // arrived, and that cannot wait. A shorter one always waits out the hold.
  const change = wanted > state.intervalMs || (wanted < state.intervalMs && !held);
  if (!change) {
    return {
      state: { ...expireWider(state, now), pressure, calmSince, rateStepMs: held ? state.rateStepMs : rateStepMs },
    };
  }
  const liveness = Math.round((settings.livenessMs * wanted) / settings.baseIntervalMs);
  const shorter = wanted < state.intervalMs;
  const wider = Math.max(state.livenessMs, state.widerLivenessMs);
  const next: PaceState = {
    intervalMs: wanted,
    rateStepMs,
    pressure,
    calmSince,
    changedAt: now,
    livenessMs: liveness,
    widerLivenessMs: shorter ? wider : liveness,
    widerUntil: shorter ? now + wider : 0,
  };
  const reason: PaceReason = shorter ? 'recovered' : rateStepMs > state.rateStepMs ? 'rate' : 'pressure';
  return { state: next, reason };
}

/** The liveness window to judge nodes by now: the current one, or the wider one kept after a shortening. */
export function livenessWindowMs(state: PaceState, now: number): number {
  return now < state.widerUntil ? Math.max(state.livenessMs, state.widerLivenessMs) : state.livenessMs;
}

/** No change within this long of the last one. */
export function holdMs(intervalMs: number): number {
  return 2 * intervalMs;
}

/**
 * The shortest `base × 2^k` at which `nodes` stay within the rate. From the current step a shorter
 * one is taken only when the rate fits it with headroom, so a count hovering at a boundary holds.
 */
function rateInterval(settings: PaceSettings, nodes: number, currentStep: number): number {
  const fits = (interval: number, headroom: number): boolean =>
    (nodes * 1000) / interval <= settings.reportsPerSecond * headroom;
  let step = settings.baseIntervalMs;
  while (step < settings.maxIntervalMs && !fits(step, step < currentStep ? HEADROOM : 1)) {
    step *= 2;
  }
  return Math.min(step, settings.maxIntervalMs);
}

function expireWider(state: PaceState, now: number): PaceState {
  return state.widerUntil !== 0 && now >= state.widerUntil
    ? { ...state, widerLivenessMs: state.livenessMs, widerUntil: 0 }
    : state;
}
