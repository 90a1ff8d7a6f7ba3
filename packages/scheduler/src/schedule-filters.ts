/**
 * A request's filters and policy, decoded once per decision, and the per-candidate filter check
 * both placement loops share (`schedule-core.ts`) and failure details replay (`schedule-explain.ts`).
 */
import { distanceKm } from './geo';
import type { Candidate, GeoPoint, PlacementRequest, Policy } from './types';

export const FIRST_FIT = 0;
export const BEST_FIT = 1;
export const WORST_FIT = 2;
export const MOST_TRAFFIC = 3;

export function modeOf(policy: Policy): number {
  switch (policy) {
    case 'first-fit':
      return FIRST_FIT;
    case 'best-fit':
      return BEST_FIT;
    case 'worst-fit':
      return WORST_FIT;
    case 'most-traffic':
      return MOST_TRAFFIC;
  }
}

/** The request's filters, decoded once per call so the per-candidate loop only compares. */
export interface Filters {
  pins: ReadonlySet<string> | undefined;
  arch: string | undefined;
  archAlias: string | undefined;
  labelKeys: readonly string[];
  labelValues: readonly string[];
  near: (GeoPoint & { radiusKm: number }) | undefined;
  gpus: number;
}

// Docker/OCI say amd64/arm64, `uname -m` says x86_64/aarch64; nodes may report either.
export const ARCH_ALIASES: ReadonlyMap<string, string> = new Map([
  ['amd64', 'x86_64'],
  ['x86_64', 'amd64'],
  ['arm64', 'aarch64'],
  ['aarch64', 'arm64'],
]);

export function filtersOf(request: PlacementRequest): Filters {
  // An empty pin list is how an SLA without `direct` placement often arrives: treat it as no pin.
  const pins = request.pinned !== undefined && request.pinned.length > 0 ? new Set(request.pinned) : undefined;
  const labels = request.labels ?? {};
  const labelKeys = Object.keys(labels);
  return {
    pins,
    arch: request.arch,
    archAlias: request.arch === undefined ? undefined : ARCH_ALIASES.get(request.arch),
    labelKeys,
    labelValues: labelKeys.map((k) => labels[k] as string),
    near: request.near,
    gpus: request.requests.gpus,
  };
}

/** What both decision loops derive from a request, once per decision. */
export interface Prepared {
  f: Filters;
  /** False when the request carries no filter, so the loops can skip the per-candidate checks. */
  filtering: boolean;
  mode: number;
  wantCpu: number;
  wantMem: number;
  wantGpu: number;
}

export function prepare(request: PlacementRequest, policy: Policy): Prepared {
  const f = filtersOf(request);
  const { cpuMillis, memoryMb, gpus } = request.requests;
  return {
    f,
    filtering:
      f.pins !== undefined || f.arch !== undefined || f.labelKeys.length > 0 || f.near !== undefined || f.gpus > 0,
    mode: modeOf(policy),
    wantCpu: cpuMillis,
    wantMem: memoryMb,
    wantGpu: gpus,
  };
}

// Filter stages in the order they are checked; the diagnostic pass counts the first that failed.
export const PASS = 0;
export const INACTIVE = 1;
export const NOT_PINNED = 2;
export const WRONG_ARCH = 3;
export const WRONG_LABELS = 4;
export const TOO_FAR = 5;
export const TOO_FEW_GPUS = 6;

export function filterStage(c: Candidate, f: Filters): number {
  if (!c.active) {
    return INACTIVE;
  }
  if (f.pins !== undefined && !f.pins.has(c.id) && !f.pins.has(c.name)) {
    return NOT_PINNED;
  }
  if (
    f.arch !== undefined &&
    !c.architectures.includes(f.arch) &&
    (f.archAlias === undefined || !c.architectures.includes(f.archAlias))
  ) {
    return WRONG_ARCH;
  }
  for (let k = 0; k < f.labelKeys.length; k++) {
    const key = f.labelKeys[k] as string;
    // hasOwn: a request label named e.g. `constructor` must not match Object.prototype.
    if (!Object.hasOwn(c.labels, key) || c.labels[key] !== f.labelValues[k]) {
      return WRONG_LABELS;
    }
  }
  if (f.near !== undefined && (c.location === undefined || distanceKm(f.near, c.location) > f.near.radiusKm)) {
    return TOO_FAR;
  }
  // A GPU request is a hardware filter (SPEC §6 lists GPU count among the filters): a candidate
  // built with fewer GPUs can never take it, whatever is released. Too few *free* GPUs on a
  // candidate that has enough is a capacity problem instead.
  if (c.allocatable.gpus < f.gpus) {
    return TOO_FEW_GPUS;
  }
  return PASS;
}
