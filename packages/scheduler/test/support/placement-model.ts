import { distanceKm } from '../../src/scheduler';
import type { Candidate, PlacementRequest, Policy, Resources } from '../../src/types';

// An independent, obviously-correct model of placement (slow, allocation-happy on purpose), to
// check the optimised loops against.
export const ARCH_SAME: Record<string, string[]> = {
  amd64: ['amd64', 'x86_64'],
  x86_64: ['x86_64', 'amd64'],
  arm64: ['arm64', 'aarch64'],
  aarch64: ['aarch64', 'arm64'],
};

export function passesFilters(c: Candidate, r: PlacementRequest): boolean {
  if (!c.active) {
    return false;
  }
  if (r.pinned && r.pinned.length > 0 && !r.pinned.includes(c.id) && !r.pinned.includes(c.name)) {
    return false;
  }
  if (r.arch !== undefined && !(ARCH_SAME[r.arch] ?? [r.arch]).some((a) => c.architectures.includes(a))) {
    return false;
  }
  if (r.labels && Object.entries(r.labels).some(([k, v]) => c.labels[k] !== v)) {
    return false;
  }
  if (r.near && (!c.location || distanceKm(r.near, c.location) > r.near.radiusKm)) {
    return false;
  }
  return c.allocatable.gpus >= r.requests.gpus;
}

export function fits(c: Candidate, reserved: Resources, want: Resources): boolean {
  const a = c.allocatable;
  const room = (k: keyof Resources) => a[k] - reserved[k] >= want[k] && (c.largestNodeFree?.[k] ?? Infinity) >= want[k];
  return room('cpuMillis') && room('memoryMb') && room('gpus');
}

export function modelChoice(
  feasible: Candidate[],
  scoreOf: (c: Candidate) => number,
  policy: Policy,
): Candidate | undefined {
  if (policy === 'first-fit') {
    return feasible[0];
  }
  const key = (c: Candidate): [number, number] => {
    const s = scoreOf(c);
    if (policy === 'best-fit') {
      return [0, -s];
    }
    if (policy === 'worst-fit') {
      return [0, s];
    }
    return [c.netRxBps ?? 0, s];
  };
  const sorted = [...feasible].sort((x, y) => {
    const [a1, a2] = key(x);
    const [b1, b2] = key(y);
    if (a1 !== b1) {
      return b1 - a1;
    }
    if (a2 !== b2) {
      return b2 - a2;
    }
    const p = (x.cpuPercent ?? 0) - (y.cpuPercent ?? 0);
    if (p !== 0) {
      return p;
    }
    return x.id < y.id ? -1 : x.id > y.id ? 1 : 0;
  });
  return sorted[0];
}

// ------------------------------------------------------------------------------------------------
// Generators: small fleets with plenty of collisions (equal sizes, shared labels, nearby places) so
// ties, filters and full candidates all happen often.
