import type { InstanceKey } from '@canopy/schema';

/** `serviceId/instanceNumber`: one instance across its generations. */
export function slotOf(key: InstanceKey): string {
  return `${key.serviceId}/${key.instanceNumber}`;
}

export function keyOf(key: InstanceKey): InstanceKey {
  return { serviceId: key.serviceId, instanceNumber: key.instanceNumber, generation: key.generation };
}

/** What the decisions need to know of the cluster's record for one slot. */
export interface PlacementView<S extends InstanceKey = InstanceKey> {
  spec: S;
  nodeId?: string | undefined;
  /** a delete was sent to the node and awaits its UNDEPLOYED */
  deleting: boolean;
}

export type DeployDecision =
  /** stale: a higher generation is here; placed: the same key already is; deleting: wait for the node */
  | { action: 'ignore'; reason: 'stale' | 'placed' | 'deleting' }
  /** place the spec; a lower generation on `replacing.nodeId` gives up its reservation first */
  | { action: 'place'; replacing?: { key: InstanceKey; nodeId: string } | undefined };

/** Idempotent by key: the same key again is a no-op, a higher generation replaces, a lower one is ignored. */
export function decideDeploy(current: PlacementView | undefined, spec: InstanceKey): DeployDecision {
  if (current === undefined) {
    return { action: 'place' };
  }
  if (current.spec.generation > spec.generation) {
    return { action: 'ignore', reason: 'stale' };
  }
  if (current.spec.generation === spec.generation) {
    // Same key: already placed, or being deleted (the next sync brings it back if still wanted).
    if (current.nodeId !== undefined) {
      return { action: 'ignore', reason: 'placed' };
    }
    if (current.deleting) {
      return { action: 'ignore', reason: 'deleting' };
    }
    return { action: 'place' };
  }
  if (current.nodeId === undefined) {
    return { action: 'place' };
  }
  return { action: 'place', replacing: { key: keyOf(current.spec), nodeId: current.nodeId } };
}

export type DeleteDecision =
  /** nothing of that generation here (never placed, or already replaced): it is gone */
  | { action: 'gone' }
  | { action: 'ignore' }
  /** unplaced, or on a silent node that cannot confirm: forget it now (telling the node if any) */
  | { action: 'forget'; tellNode?: string }
  /** ask the node and keep the reservation until it confirms UNDEPLOYED */
  | { action: 'delete'; nodeId: string };

export function decideDelete(
  current: PlacementView | undefined,
  key: InstanceKey,
  isActive: (nodeId: string) => boolean,
): DeleteDecision {
  if (current === undefined || current.spec.generation > key.generation) {
    return { action: 'gone' };
  }
  if (current.deleting) {
    return { action: 'ignore' };
  }
  const nodeId = current.nodeId;
  // A silent node cannot confirm; its own sync removes the container when it comes back.
  if (nodeId === undefined) {
    return { action: 'forget' };
  }
  if (!isActive(nodeId)) {
    return { action: 'forget', tellNode: nodeId };
  }
  return { action: 'delete', nodeId };
}

export type ConvergenceStep<S extends InstanceKey> = { kind: 'deploy'; spec: S } | { kind: 'delete'; key: InstanceKey };

/**
 * Converges the cluster's placements on the root's full desired set, as steps and nothing else:
 * what is desired and missing, unplaced or older is deployed (highest generation per slot); what
 * is here and not desired, or newer than desired, is deleted, unless `allowDeletes` is false (part of
 * the set could not be read, so a malformed entry never removes a running instance). Deploys come
 * first, in the order of the desired set; deletes follow in the order of the records. Slots in
 * `newer` had a command from the root after the set was asked for: the set is older news about
 * them (a deploy sent while the reply was being built is not in it), so they are left alone.
 */
export function planConvergence<S extends InstanceKey>(
  records: Iterable<PlacementView>,
  desired: readonly S[],
  allowDeletes: boolean,
  newer: ReadonlySet<string> = new Set(),
): ConvergenceStep<S>[] {
  const current = new Map<string, PlacementView>();
  for (const record of records) {
    current.set(slotOf(record.spec), record);
  }
  const wanted = new Map<string, S>();
  for (const spec of desired) {
    const seen = wanted.get(slotOf(spec));
    if (seen === undefined || seen.generation < spec.generation) {
      wanted.set(slotOf(spec), spec);
    }
  }
  const steps: ConvergenceStep<S>[] = [];
  for (const [slot, spec] of wanted) {
    if (newer.has(slot)) {
      continue;
    }
    if (decideDeploy(current.get(slot), spec).action === 'place') {
      steps.push({ kind: 'deploy', spec });
    }
  }
  if (!allowDeletes) {
    return steps;
  }
  for (const [slot, record] of current) {
    if (record.deleting || newer.has(slot)) {
      continue;
    }
    const want = wanted.get(slot);
    if (want === undefined || want.generation < record.spec.generation) {
      steps.push({ kind: 'delete', key: keyOf(record.spec) });
    }
  }
  return steps;
}
