import { InstanceStatus, placementFiltersOf, placementPolicyOf, type SlaMicroservice } from '@canopy/schema';
import {
  normalizePolicy,
  schedule,
  type Candidate,
  type PlacementRequest,
  type Policy,
  type Resources,
} from '@canopy/scheduler';

/**
 * The root's policy for services that name none. `ROOT_PLACEMENT_POLICY` is meant to override it
 * (read once into the root's config and passed to {@link chooseCluster}); see
 * {@link parseRootPlacementPolicy}.
 */
export const DEFAULT_ROOT_POLICY: Policy = 'best-fit';

export type ClusterChoice =
  | { ok: true; clusterId: string }
  | {
      ok: false;
      status:
        | typeof InstanceStatus.TargetClusterNotFound
        | typeof InstanceStatus.TargetClusterNoCapacity
        | typeof InstanceStatus.NoActiveClusterWithCapacity;
      detail: string;
    };

/**
 * A cluster as the root schedules it: its reported free room as `allocatable`, the most a single
 * node has free as `largestNodeFree`, and the same per architecture when the cluster reports it.
 */
export interface ClusterCandidate extends Candidate {
  largestNodeFreeByArch?: Readonly<Record<string, Resources>>;
}

/** What one instance of the microservice reserves. */
export function requestsOf(ms: SlaMicroservice): Resources {
  return { cpuMillis: (ms.vcpus ?? 0) * 1000, memoryMb: ms.memory ?? 0, gpus: ms.vgpus ?? 0 };
}

/** The clusters a `direct` constraint pins to, if any. */
export function pinnedClusters(ms: SlaMicroservice): string[] | undefined {
  return placementFiltersOf(ms).clusters;
}

/**
 * The root-level placement request: resources, `direct` cluster pins, architecture (`arch` or an
 * `arch` constraint) and a `geo` area matched against cluster locations. Node pins and node labels
 * are the cluster's business: the root does not know its clusters' nodes one by one.
 */
export function rootPlacementRequest(ms: SlaMicroservice): PlacementRequest {
  const filters = placementFiltersOf(ms);
  const request: PlacementRequest = { requests: requestsOf(ms) };
  if (filters.clusters !== undefined) request.pinned = filters.clusters;
  if (filters.arch !== undefined) request.arch = filters.arch;
  if (filters.near !== undefined) request.near = filters.near;
  return request;
}

// As the scheduler's arch filter: Docker/OCI names and `uname -m` names are the same machines.
const ARCH_ALIASES: ReadonlyMap<string, string> = new Map([
  ['amd64', 'x86_64'],
  ['x86_64', 'amd64'],
  ['arm64', 'aarch64'],
  ['aarch64', 'arm64'],
]);

const NO_ROOM: Resources = Object.freeze({ cpuMillis: 0, memoryMb: 0, gpus: 0 });

/**
 * The clusters as seen by a request for `arch`: the largest node that counts is the largest node
 * *of that architecture*, so an arm64 request is never sent to a cluster whose only roomy node is
 * amd64. Clusters that do not report per-arch figures keep their overall ones.
 */
export function forArch(candidates: readonly ClusterCandidate[], arch: string | undefined): ClusterCandidate[] {
  if (arch === undefined) return [...candidates];
  const alias = ARCH_ALIASES.get(arch);
  return candidates.map((c) => {
    const byArch = c.largestNodeFreeByArch;
    if (byArch === undefined) return c;
    const own = Object.hasOwn(byArch, arch) ? byArch[arch] : undefined;
    const aliased = alias !== undefined && Object.hasOwn(byArch, alias) ? byArch[alias] : undefined;
    return { ...c, largestNodeFree: own ?? aliased ?? NO_ROOM };
  });
}

/**
 * The root's decision: which cluster gets an instance. Pure; the clusters' reported free room is
 * already net of their own reservations, `reserved` adds what the root sent but no report reflects
 * yet. Oakestra's status strings tell a pinned-cluster failure from a general one:
 * `TargetClusterNotFound` (the pin names no known cluster), `TargetClusterNoCapacity` (the pinned
 * cluster is down, filtered out or full), `NoActiveClusterWithCapacity` (no pin, nothing fits).
 */
export function chooseCluster(
  candidates: readonly ClusterCandidate[],
  reserved: (clusterId: string) => Resources,
  ms: SlaMicroservice,
  defaultPolicy: Policy = DEFAULT_ROOT_POLICY,
  spread?: ReadonlyMap<string, number>,
): ClusterChoice {
  const request = rootPlacementRequest(ms);
  // Replicas of one service spread across clusters by default (soft: see PlacementRequest.spread).
  if (spread !== undefined && spread.size > 0) request.spread = spread;
  const policy = placementPolicyOf(ms) ?? defaultPolicy;
  const decision = schedule(forArch(candidates, request.arch), reserved, request, policy, { kind: 'cluster' });
  if (decision.ok) return { ok: true, clusterId: decision.candidateId };

  let detail = decision.detail;
  if (request.near !== undefined && candidates.some((c) => c.location === undefined)) {
    detail += '; clusters without coordinates never match a geo constraint (set CLUSTER_LOCATION="lat,long")';
  }
  const pinned = request.pinned;
  if (pinned !== undefined) {
    const known = candidates.some((c) => pinned.includes(c.name) || pinned.includes(c.id));
    return known
      ? { ok: false, status: InstanceStatus.TargetClusterNoCapacity, detail }
      : { ok: false, status: InstanceStatus.TargetClusterNotFound, detail };
  }
  if (!candidates.some((c) => c.active)) {
    detail =
      candidates.length === 0
        ? 'no cluster has connected yet, so nothing can be placed'
        : `no active cluster with a live worker node is connected (${candidates.length} known, none active)`;
  }
  return { ok: false, status: InstanceStatus.NoActiveClusterWithCapacity, detail };
}

/**
 * Reads `ROOT_PLACEMENT_POLICY` (any accepted spelling; unset = {@link DEFAULT_ROOT_POLICY}).
 * Returns an error message naming the accepted values for anything else, so the root's config
 * loader can refuse to start.
 */
export function parseRootPlacementPolicy(
  raw: string | undefined,
): { ok: true; policy: Policy } | { ok: false; message: string } {
  if (raw === undefined || raw.trim() === '') return { ok: true, policy: DEFAULT_ROOT_POLICY };
  const policy = normalizePolicy(raw);
  return policy !== undefined
    ? { ok: true, policy }
    : { ok: false, message: 'must be one of best-fit, worst-fit, first-fit, most-traffic' };
}
