import type { Candidate, Decision, PlacementRequest, Policy, Resources } from './types';

/**
 * `(candidates, reserved, request, policy) → decision`. Pure; `reserved(id)` returns what is
 * already reserved on a candidate. Implemented in full by the scheduler work (issue 4).
 */
export function schedule(
  candidates: readonly Candidate[],
  reserved: (candidateId: string) => Resources,
  request: PlacementRequest,
  policy: Policy,
): Decision {
  const free = (c: Candidate): Resources => {
    const r = reserved(c.id);
    return {
      cpuMillis: c.allocatable.cpuMillis - r.cpuMillis,
      memoryMb: c.allocatable.memoryMb - r.memoryMb,
      gpus: c.allocatable.gpus - r.gpus,
    };
  };
  const fits = (have: Resources, want: Resources) =>
    have.cpuMillis >= want.cpuMillis && have.memoryMb >= want.memoryMb && have.gpus >= want.gpus;
  if (candidates.length === 0) return { ok: false, reason: 'no-candidates', detail: 'no candidates registered' };
  const live = candidates.filter((c) => c.active);
  const feasible = live.filter(
    (c) => fits(free(c), request.requests) && (c.largestNodeFree === undefined || fits(c.largestNodeFree, request.requests)),
  );
  void policy;
  const chosen = feasible[0];
  if (!chosen) return { ok: false, reason: 'no-capacity', detail: 'no candidate has room for the request' };
  return { ok: true, candidateId: chosen.id };
}
