import { InstanceStatus, placementPolicyOf, type SlaMicroservice } from '@canopy/schema';
import { schedule, type Candidate, type PlacementRequest, type Resources } from '@canopy/scheduler';

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

/** What one instance of the microservice reserves. */
export function requestsOf(ms: SlaMicroservice): Resources {
  return { cpuMillis: (ms.vcpus ?? 0) * 1000, memoryMb: ms.memory ?? 0, gpus: ms.vgpus ?? 0 };
}

/** The clusters a `direct` constraint pins to, if any. */
export function pinnedClusters(ms: SlaMicroservice): string[] | undefined {
  const names = (ms.constraints ?? [])
    .filter((c) => c.type === 'direct' && c.cluster !== undefined && c.cluster !== '')
    .map((c) => c.cluster as string);
  return names.length > 0 ? names : undefined;
}

/**
 * The root's decision: which cluster gets an instance. Pure; the clusters' reported free room is
 * already net of their own reservations, `reserved` adds what the root sent but no report reflects yet.
 * Oakestra's status strings tell a pinned-cluster failure from a general one.
 */
export function chooseCluster(
  candidates: readonly Candidate[],
  reserved: (clusterId: string) => Resources,
  ms: SlaMicroservice,
): ClusterChoice {
  const request: PlacementRequest = { requests: requestsOf(ms) };
  const pinned = pinnedClusters(ms);
  if (pinned) {
    const known = candidates.filter((c) => pinned.includes(c.name) || pinned.includes(c.id));
    if (known.length === 0) {
      return {
        ok: false,
        status: InstanceStatus.TargetClusterNotFound,
        detail: `no cluster named ${pinned.join(' or ')} is registered`,
      };
    }
    request.pinned = pinned;
  }
  const decision = schedule(candidates, reserved, request, placementPolicyOf(ms) ?? 'best-fit');
  if (decision.ok) return { ok: true, clusterId: decision.candidateId };
  if (pinned) {
    return {
      ok: false,
      status: InstanceStatus.TargetClusterNoCapacity,
      detail: `cluster ${pinned.join(' or ')}: ${decision.detail}`,
    };
  }
  const live = candidates.filter((c) => c.active).length;
  const detail = live === 0 ? 'no active cluster with a live worker node is connected' : decision.detail;
  return { ok: false, status: InstanceStatus.NoActiveClusterWithCapacity, detail };
}
