import type { InstanceKey } from '@canopy/schema';

/** What the node has for one key: a container (or a failed attempt that left none). */
export type ActualRef = InstanceKey;

/** Why a container goes away; only `not-desired` means the instance itself is gone. */
export type RemoveReason = 'not-desired' | 'superseded' | 'duplicate';

export type Step<A extends ActualRef, D extends InstanceKey> =
  { action: 'remove'; instance: A; reason: RemoveReason } | { action: 'create'; spec: D };

/** `(serviceId, instanceNumber)`: the place an instance occupies, whatever its generation. */
export function slotKey(key: Pick<InstanceKey, 'serviceId' | 'instanceNumber'>): string {
  return `${key.serviceId}/${key.instanceNumber}`;
}

/**
 * Converges what the node has onto what it should have, as a list of steps and nothing else
 * (the executor does the work). Per slot:
 * - nothing actual → create the desired spec;
 * - no desired spec → remove everything actual (`not-desired`);
 * - actual of the desired generation → leave it alone (same key twice is a no-op);
 * - only lower generations actual → remove them (`superseded`), then create;
 * - a higher generation actual than desired → keep it: a stale command never rolls back;
 * - every other instance in the slot goes: older ones as `superseded`, a second one of the kept
 *   generation as `duplicate` (left by a crash mid-replace, say).
 * When several desired specs name one slot, the highest generation wins.
 *
 * All removals come before all creations so a fixed host port freed by one slot can be taken by
 * another; within each group, slots are ordered for a deterministic plan.
 */
export function plan<A extends ActualRef, D extends InstanceKey>(
  actual: readonly A[],
  desired: readonly D[],
): Step<A, D>[] {
  const want = new Map<string, D>();
  for (const spec of desired) {
    const slot = slotKey(spec);
    const current = want.get(slot);
    if (current === undefined || spec.generation > current.generation) {
      want.set(slot, spec);
    }
  }
  const have = new Map<string, A[]>();
  for (const instance of actual) {
    const slot = slotKey(instance);
    const list = have.get(slot);
    if (list === undefined) {
      have.set(slot, [instance]);
    } else {
      list.push(instance);
    }
  }

  const removes: Step<A, D>[] = [];
  const creates: Step<A, D>[] = [];
  const slots = [...new Set([...want.keys(), ...have.keys()])].sort(compareSlots);
  for (const slot of slots) {
    const spec = want.get(slot);
    const instances = [...(have.get(slot) ?? [])].sort((a, b) => b.generation - a.generation);
    if (spec === undefined) {
      for (const instance of instances) {
        removes.push({ action: 'remove', instance, reason: 'not-desired' });
      }
      continue;
    }
    // Sorted newest first: the newest instance stays if it is at least the desired generation.
    const newest = instances[0];
    const keep = newest !== undefined && newest.generation >= spec.generation ? newest : undefined;
    for (const instance of instances) {
      if (instance === keep) {
        continue;
      }
      const reason: RemoveReason =
        keep === undefined || instance.generation < keep.generation ? 'superseded' : 'duplicate';
      removes.push({ action: 'remove', instance, reason });
    }
    if (keep === undefined) {
      creates.push({ action: 'create', spec });
    }
  }
  return [...removes, ...creates];
}

function compareSlots(a: string, b: string): number {
  const [sa = '', na = '0'] = splitSlot(a);
  const [sb = '', nb = '0'] = splitSlot(b);
  if (sa !== sb) {
    return sa < sb ? -1 : 1;
  }
  return Number(na) - Number(nb);
}

function splitSlot(slot: string): [string, string] {
  const at = slot.lastIndexOf('/');
  return [slot.slice(0, at), slot.slice(at + 1)];
}
