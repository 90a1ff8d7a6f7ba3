/** Oakestra's instance status strings (SPEC §3). Kept verbatim: clients and dashboards match on them. */
export const InstanceStatus = {
  REQUESTED: 'REQUESTED',
  CLUSTER_SCHEDULED: 'CLUSTER_SCHEDULED',
  NODE_SCHEDULED: 'NODE_SCHEDULED',
  CREATING: 'CREATING',
  RUNNING: 'RUNNING',
  FAILED: 'FAILED',
  DEAD: 'DEAD',
  COMPLETED: 'COMPLETED',
  UNDEPLOYED: 'UNDEPLOYED',
  TargetClusterNotFound: 'TargetClusterNotFound',
  TargetClusterNoCapacity: 'TargetClusterNoCapacity',
  NoActiveClusterWithCapacity: 'NoActiveClusterWithCapacity',
  NO_WORKER_CAPACITY: 'NO_WORKER_CAPACITY',
  NO_QUALIFIED_WORKER_FOUND: 'NO_QUALIFIED_WORKER_FOUND',
} as const;
export type InstanceStatus = (typeof InstanceStatus)[keyof typeof InstanceStatus];
export const INSTANCE_STATUSES: readonly InstanceStatus[] = Object.values(InstanceStatus);

/** Statuses after which an instance never changes again without a new command. */
export const TERMINAL_STATUSES: ReadonlySet<InstanceStatus> = new Set<InstanceStatus>([
  InstanceStatus.FAILED,
  InstanceStatus.DEAD,
  InstanceStatus.COMPLETED,
  InstanceStatus.UNDEPLOYED,
  InstanceStatus.TargetClusterNotFound,
  InstanceStatus.TargetClusterNoCapacity,
  InstanceStatus.NoActiveClusterWithCapacity,
  InstanceStatus.NO_WORKER_CAPACITY,
  InstanceStatus.NO_QUALIFIED_WORKER_FOUND,
]);

/** Forward order of the happy path; a report may skip ahead but never move back along it. */
const PROGRESS: readonly InstanceStatus[] = [
  InstanceStatus.REQUESTED,
  InstanceStatus.CLUSTER_SCHEDULED,
  InstanceStatus.NODE_SCHEDULED,
  InstanceStatus.CREATING,
  InstanceStatus.RUNNING,
];

/**
 * Whether a status report may replace the current one. Reports arrive at least once and out of
 * order (a periodic full report can overtake a change event), so a late `CREATING` must not undo
 * `RUNNING`. Terminal statuses and leaving the happy path always win; a `RUNNING` after `DEAD`
 * means the node restarted the container.
 */
export function isStatusAdvance(current: InstanceStatus, next: InstanceStatus): boolean {
  if (current === next) {
    return false;
  }
  if (current === InstanceStatus.UNDEPLOYED) {
    return false;
  }
  // A one-shot instance that finished is never restarted: only its removal follows.
  if (current === InstanceStatus.COMPLETED) {
    return next === InstanceStatus.UNDEPLOYED;
  }
  const from = PROGRESS.indexOf(current);
  const to = PROGRESS.indexOf(next);
  if (from >= 0 && to >= 0) {
    return to > from;
  }
  return true;
}

/** Component status vocabulary for aerOS clients (SPEC §5). */
export type AerosComponentStatus = 'Starting' | 'Running' | 'Failed' | 'Removing' | 'Finished';

export function toAerosStatus(status: InstanceStatus): AerosComponentStatus {
  switch (status) {
    case InstanceStatus.RUNNING:
      return 'Running';
    case InstanceStatus.COMPLETED:
      return 'Finished';
    case InstanceStatus.UNDEPLOYED:
      return 'Removing';
    case InstanceStatus.REQUESTED:
    case InstanceStatus.CLUSTER_SCHEDULED:
    case InstanceStatus.NODE_SCHEDULED:
    case InstanceStatus.CREATING:
      return 'Starting';
    case InstanceStatus.FAILED:
    case InstanceStatus.DEAD:
    case InstanceStatus.TargetClusterNotFound:
    case InstanceStatus.TargetClusterNoCapacity:
    case InstanceStatus.NoActiveClusterWithCapacity:
    case InstanceStatus.NO_WORKER_CAPACITY:
    case InstanceStatus.NO_QUALIFIED_WORKER_FOUND:
      return 'Failed';
  }
}
