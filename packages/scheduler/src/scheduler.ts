import { PLACEMENT_POLICIES, PLACEMENT_POLICY_ALIASES } from '@canopy/schema';
import { CandidateTable } from './candidate-table';
import { scheduleCore, scheduleTableCore } from './schedule-core';
import type { Candidate, Decision, PlacementRequest, Policy, Resources, ScheduleOptions } from './types';

export { distanceKm } from './geo';
export { CandidateTable } from './candidate-table';

export { ARCH_ALIASES } from './schedule-filters';

/** The placement policies, as the SLA schema lists them (one list for the SLA classes and here). */
export const POLICIES: readonly Policy[] = PLACEMENT_POLICIES;

// A Map, not an object literal, so `normalizePolicy('constructor')` cannot hit Object.prototype.
// The spellings are the SLA schema's, so what an SLA may say and what the scheduler reads agree.
const POLICY_SPELLINGS: ReadonlyMap<string, Policy> = new Map<string, Policy>(Object.entries(PLACEMENT_POLICY_ALIASES));

/**
 * The policy an SLA or a default setting names, in any spelling Oakestra and ASSIST-IoT use
 * (case and surrounding blanks ignored), or `undefined` when it names none.
 */
export function normalizePolicy(raw: string): Policy | undefined {
  return POLICY_SPELLINGS.get(raw.trim().toLowerCase());
}

/**
 * How much room a candidate keeps after taking `requests`: the sum of the remaining fractions of
 * CPU and memory, each `(allocatable − reserved − requested) / allocatable` (a resource the
 * candidate has none of counts 0). `best-fit` picks the lowest score, `worst-fit` the highest.
 *
 * Why the sum and not the max: the max only sees the loosest resource, so two candidates that
 * differ in the other one tie; the sum rewards being tight on both. It is the ordering of
 * Kubernetes' MostAllocated/LeastAllocated scoring with equal weights. GPUs are left out: most
 * candidates have none, and a GPU term would swamp the CPU/memory comparison on the few that do.
 */
export function fitScore(candidate: Candidate, reserved: Resources, requests: Resources): number {
  const a = candidate.allocatable;
  return (
    (a.cpuMillis > 0 ? (a.cpuMillis - reserved.cpuMillis - requests.cpuMillis) / a.cpuMillis : 0) +
    (a.memoryMb > 0 ? (a.memoryMb - reserved.memoryMb - requests.memoryMb) / a.memoryMb : 0)
  );
}

/**
 * `(candidates, reserved, request, policy) → decision`. Pure and deterministic: no I/O, clock or
 * randomness; `reserved(id)` returns what is already reserved on a candidate (pass
 * `ReservationLedger.reserved`, or use `ReservationLedger.place` to schedule and reserve at once).
 *
 * Free room is `allocatable − reserved` per resource. A candidate is feasible when it is active,
 * passes every filter (pin by id or name, arch, labels, distance from `near`, GPU count) and fits
 * the request in every resource, and, at the root tier, in `largestNodeFree` too. Then:
 * `first-fit` takes the first feasible one in input order, `best-fit` the lowest {@link fitScore},
 * `worst-fit` the highest, `most-traffic` the highest `netRxBps` (ties → highest fitScore).
 * Remaining ties go to the lower `cpuPercent` (unknown = 0), then the lower id.
 *
 * Failures: `no-candidates` (empty list), `filtered` (nothing passed the filters), `no-capacity`
 * (something passed but nothing has room); `detail` says why in a sentence, using
 * `options.kind` ("node" / "cluster") as the noun. Cost: one pass, no allocation per candidate;
 * a {@link CandidateTable} instead of an array gives the same decisions from denser memory.
 */
export function schedule(
  candidates: readonly Candidate[] | CandidateTable,
  reserved: (candidateId: string) => Resources,
  request: PlacementRequest,
  policy: Policy,
  options?: ScheduleOptions,
): Decision {
  const kind = options?.kind ?? 'candidate';
  // Without slots the cores never report a stale index, so the result is always defined.
  const decision =
    candidates instanceof CandidateTable
      ? scheduleTableCore(candidates, reserved, undefined, request, policy, kind)
      : scheduleCore(candidates, reserved, undefined, request, policy, kind);
  return decision as Decision;
}
