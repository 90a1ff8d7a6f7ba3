import { InstanceStatus } from '@canopy/schema';
import type { InstanceRecord, ServiceRecord } from '../persistence/records';

export type ReplicaStep =
  | { kind: 'deploy' }
  | { kind: 'undeploy'; instanceNumber: number }
  /** An instance that never reached a cluster (root-level placement failure or a crash mid-placement). */
  | { kind: 'place'; instanceNumber: number }
  /** Desired running but UNDEPLOYED (ended without being asked): stop wanting it; a new one replaces it. */
  | { kind: 'retire'; instanceNumber: number };

/** Statuses of an instance the root could not hand to any cluster. */
const UNPLACED: ReadonlySet<string> = new Set([
  InstanceStatus.REQUESTED,
  InstanceStatus.NoActiveClusterWithCapacity,
  InstanceStatus.TargetClusterNoCapacity,
  InstanceStatus.TargetClusterNotFound,
]);

type PlannedService = Pick<ServiceRecord, 'scheduled' | 'replicas' | 'generation'> &
  Pick<Partial<ServiceRecord>, 'rollout'>;
type PlannedInstance = Pick<InstanceRecord, 'instanceNumber' | 'generation' | 'desired' | 'status' | 'clusterId'>;

/**
 * `(service, instances) → steps` that move a service toward `replicas` instances of its current
 * generation. Pure. A rollout replaces old-generation instances one at a time: surge one new
 * instance, wait until it is RUNNING, then remove one old one. A new instance that fails stalls
 * the rollout rather than taking the old ones down.
 */
export function planReplicas(service: PlannedService, instances: readonly PlannedInstance[]): ReplicaStep[] {
  if (!service.scheduled) return [];
  const wanted = instances.filter((i) => i.desired === 'running');
  // An instance that ended on its own never comes back (UNDEPLOYED is final): it counts as missing.
  const ended = wanted.filter((i) => i.status === InstanceStatus.UNDEPLOYED);
  const live = wanted.filter((i) => i.status !== InstanceStatus.UNDEPLOYED);
  const steps: ReplicaStep[] = [
    ...ended.map((i): ReplicaStep => ({ kind: 'retire', instanceNumber: i.instanceNumber })),
    ...live
      .filter((i) => i.clusterId === undefined && UNPLACED.has(i.status))
      .map((i): ReplicaStep => ({ kind: 'place', instanceNumber: i.instanceNumber })),
  ];
  const old = live.filter((i) => i.generation < service.generation).sort(byNumber);
  const fresh = live.filter((i) => i.generation >= service.generation).sort(byNumber);

  if (old.length > 0 && service.rollout === 'recreate') {
    for (const o of old) steps.push({ kind: 'undeploy', instanceNumber: o.instanceNumber });
    return steps;
  }
  // Recreate: new instances only once every old container is confirmed gone.
  if (
    service.rollout === 'recreate' &&
    instances.some(
      (i) => i.desired === 'deleted' && i.status !== InstanceStatus.UNDEPLOYED && i.generation < service.generation,
    )
  ) {
    return steps;
  }
  if (old.length > 0) {
    if (fresh.some((i) => i.status !== InstanceStatus.RUNNING)) return steps;
    const oldest = old[0];
    if (oldest && fresh.length + old.length > service.replicas) {
      steps.push({ kind: 'undeploy', instanceNumber: oldest.instanceNumber });
    } else if (fresh.length < service.replicas) {
      steps.push({ kind: 'deploy' });
    }
    return steps;
  }
  for (let n = fresh.length; n < service.replicas; n++) steps.push({ kind: 'deploy' });
  // Scale down from the newest: the oldest instances have proven themselves longest.
  for (const extra of fresh.slice(service.replicas).reverse()) {
    steps.push({ kind: 'undeploy', instanceNumber: extra.instanceNumber });
  }
  return steps;
}

function byNumber(a: PlannedInstance, b: PlannedInstance): number {
  return a.instanceNumber - b.instanceNumber;
}
