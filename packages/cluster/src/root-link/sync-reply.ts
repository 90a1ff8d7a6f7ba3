import { InstanceSpecDto, validateInput } from '@canopy/schema';

/** The root's answer to `cluster:sync`, read entry by entry (one bad entry never hides the others). */
export type SyncReply =
  | { ok: false; error: unknown }
  | { ok: true; clusterId: string | undefined; specs: InstanceSpecDto[]; invalid: number };

export function readSyncReply(reply: unknown): SyncReply {
  if (typeof reply !== 'object' || reply === null || !Array.isArray((reply as { desired?: unknown }).desired)) {
    return { ok: false, error: (reply as { error?: unknown } | null)?.error };
  }
  const { clusterId, desired } = reply as { clusterId?: unknown; desired: unknown[] };
  const specs: InstanceSpecDto[] = [];
  let invalid = 0;
  for (const entry of desired) {
    const spec = validateInput(InstanceSpecDto, entry);
    if (spec.ok) {
      specs.push(spec.value);
    } else {
      invalid += 1;
    }
  }
  return { ok: true, clusterId: typeof clusterId === 'string' ? clusterId : undefined, specs, invalid };
}
