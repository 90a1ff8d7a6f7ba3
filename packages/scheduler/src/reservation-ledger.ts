import { CandidateTable } from './candidate-table';
import { buildTree, updateSlot, type PlacementTree } from './placement-tree';
import { searchTree } from './placement-search';
import { scheduleCore, scheduleTableCore, type ReservedSlots } from './schedule-core';
import type { Candidate, Decision, PlacementRequest, Policy, Resources, ScheduleOptions } from './types';

export const ZERO: Resources = Object.freeze({ cpuMillis: 0, memoryMb: 0, gpus: 0 });

interface Entry {
  candidateId: string;
  resources: Resources;
}

/** Positional copy of the totals for the candidates list `place` saw last, kept in step on every change. */
interface SlotIndex extends ReservedSlots {
  slotOf: Map<string, number>;
}

/** Options of a {@link ReservationLedger}. */
export interface LedgerOptions {
  /**
   * Whether `place` may use the free-capacity index (default true). Off, every decision is the
   * reference scan; the decisions are the same either way (the property tests hold them equal).
   */
  index?: boolean;
}

/**
 * In-memory bookkeeping of what each placed instance reserves on its candidate, keyed by the
 * instance key string. Reserving the same key twice is a no-op (at-least-once delivery), and so is
 * releasing an unknown key.
 *
 * Per-candidate totals are replaced, never mutated, so a `Resources` handed out by `reserved()`
 * stays a valid snapshot; that costs one small object per reserve/release, never per scheduling
 * step.
 */
export class ReservationLedger {
  private readonly byKey = new Map<string, Entry>();
  private readonly byCandidate = new Map<string, Resources>();
  /**
   * Why a second copy of the totals: a hash lookup per candidate is most of a decision's cost at
   * 10,000 candidates (and cache misses make it worse at 100,000). `place` reads these arrays by
   * position instead. The index describes one layout of ids; it stays valid while callers pass
   * the same ids in the same order (even in fresh arrays of fresh objects, since only ids are
   * compared) and is rebuilt in one pass when the layout changes.
   */
  private index: SlotIndex | undefined;
  /**
   * The free-capacity index (`placement-tree.ts`) over the last {@link CandidateTable} `place` saw,
   * for best-fit, worst-fit and most-traffic: a decision visits a few blocks of candidates instead
   * of all of them. It reads the reservation slots above, and `add` keeps it in step (O(log n)).
   * Only tables get one: a table is an immutable copy, so the index cannot go stale behind us.
   */
  private tree: PlacementTree | undefined;
  private treeDeclined: CandidateTable | undefined;
  private readonly useIndex: boolean;

  constructor(options?: LedgerOptions) {
    this.useIndex = options?.index ?? true;
  }

  reserve(key: string, candidateId: string, resources: Resources): void {
    if (this.byKey.has(key)) {
      return;
    }
    // Copy: the caller's object may be a request it goes on to mutate.
    const own: Resources = Object.freeze({
      cpuMillis: resources.cpuMillis,
      memoryMb: resources.memoryMb,
      gpus: resources.gpus,
    });
    this.byKey.set(key, { candidateId, resources: own });
    this.add(candidateId, own, 1);
  }

  release(key: string): void {
    const entry = this.byKey.get(key);
    if (!entry) {
      return;
    }
    this.byKey.delete(key);
    this.add(entry.candidateId, entry.resources, -1);
  }

  /** What is reserved on a candidate; pass as `schedule`'s `reserved` argument. */
  reserved = (candidateId: string): Resources => this.byCandidate.get(candidateId) ?? ZERO;

  candidateOf(key: string): string | undefined {
    return this.byKey.get(key)?.candidateId;
  }

  /** Whether `key` holds a reservation. */
  has(key: string): boolean {
    return this.byKey.has(key);
  }

  /** How many keys hold reservations. */
  get size(): number {
    return this.byKey.size;
  }

  /** The keys reserved on a candidate, e.g. to release them when it is removed. O(all keys). */
  keysOn(candidateId: string): string[] {
    const keys: string[] = [];
    for (const [key, entry] of this.byKey) {
      if (entry.candidateId === candidateId) {
        keys.push(key);
      }
    }
    return keys;
  }

  /**
   * Schedule `key` and reserve its request on the chosen candidate in one synchronous step, so a
   * burst of placements (each seeing the reservations of those before it) never over-commits.
   * Decides exactly as `schedule(candidates, this.reserved, request, policy, options)` would.
   * Idempotent: a key that already holds a reservation gets its candidate back without being
   * scheduled again, even if that candidate is now full or gone (release the key to move it).
   */
  place(
    key: string,
    candidates: readonly Candidate[] | CandidateTable,
    request: PlacementRequest,
    policy: Policy,
    options?: ScheduleOptions,
  ): Decision {
    const existing = this.byKey.get(key);
    if (existing !== undefined) {
      return { ok: true, candidateId: existing.candidateId };
    }
    const kind = options?.kind ?? 'candidate';
    if (this.useIndex && candidates instanceof CandidateTable && policy !== 'first-fit') {
      const tree = this.treeFor(candidates);
      const slot = tree === undefined ? undefined : searchTree(tree, request, policy);
      if (slot !== undefined && slot >= 0) {
        const candidateId = candidates.ids[slot] as string;
        this.reserve(key, candidateId, request.requests);
        return { ok: true, candidateId };
      }
      // Nothing fits, or the index cannot decide this request exactly: the scan decides (and explains).
    }
    const run = (slots: ReservedSlots | undefined): Decision | undefined =>
      candidates instanceof CandidateTable
        ? scheduleTableCore(candidates, this.reserved, slots, request, policy, kind)
        : scheduleCore(candidates, this.reserved, slots, request, policy, kind);
    // No index yet, or it describes another layout: re-index (one pass, like a decision) and retry.
    const reindexed = (): Decision => {
      this.tree = undefined;
      this.index = this.buildIndex(candidates instanceof CandidateTable ? candidates.ids : candidates.map((c) => c.id));
      // A fresh index always matches; without slots the loops never ask for one.
      return run(this.index) ?? (run(undefined) as Decision);
    };
    const decision = (this.index === undefined ? undefined : run(this.index)) ?? reindexed();
    if (decision.ok) {
      this.reserve(key, decision.candidateId, request.requests);
    }
    return decision;
  }

  /** The index for `table`, built on first use (O(n log n)); `undefined` when the table has none. */
  private treeFor(table: CandidateTable): PlacementTree | undefined {
    if (this.tree?.table === table) {
      return this.tree;
    }
    if (this.treeDeclined === table) {
      return undefined;
    }
    if (this.index === undefined || !sameIds(this.index.ids, table.ids)) {
      this.index = this.buildIndex(table.ids);
    }
    // The slot arrays now describe this table; adopting its ids array spares the scan a compare.
    if (this.index !== undefined) {
      this.index.ids = table.ids;
    }
    this.tree = this.index === undefined ? undefined : buildTree(table, this.index);
    this.treeDeclined = this.tree === undefined ? table : undefined;
    return this.tree;
  }

  private buildIndex(ids: readonly string[]): SlotIndex | undefined {
    const n = ids.length;
    const index: SlotIndex = {
      ids,
      cpu: new Float64Array(n),
      mem: new Float64Array(n),
      gpu: new Float64Array(n),
      slotOf: new Map(),
    };
    for (let i = 0; i < n; i++) {
      const id = ids[i] as string;
      // One slot per id is what keeps the arrays in step; a list repeating an id goes the slow way.
      if (index.slotOf.has(id)) {
        return undefined;
      }
      index.slotOf.set(id, i);
      const r = this.reserved(id);
      index.cpu[i] = r.cpuMillis;
      index.mem[i] = r.memoryMb;
      index.gpu[i] = r.gpus;
    }
    return index;
  }

  private add(candidateId: string, delta: Resources, sign: 1 | -1): void {
    const cur = this.byCandidate.get(candidateId) ?? ZERO;
    const next: Resources = Object.freeze({
      cpuMillis: cur.cpuMillis + sign * delta.cpuMillis,
      memoryMb: cur.memoryMb + sign * delta.memoryMb,
      gpus: cur.gpus + sign * delta.gpus,
    });
    // Drop empty totals so a long-lived ledger does not keep every candidate it ever saw.
    if (next.cpuMillis === 0 && next.memoryMb === 0 && next.gpus === 0) {
      this.byCandidate.delete(candidateId);
    } else {
      this.byCandidate.set(candidateId, next);
    }
    const slot = this.index?.slotOf.get(candidateId);
    if (slot !== undefined && this.index !== undefined) {
      this.index.cpu[slot] = next.cpuMillis;
      this.index.mem[slot] = next.memoryMb;
      this.index.gpu[slot] = next.gpus;
      if (this.tree !== undefined && this.tree.slots === this.index) {
        updateSlot(this.tree, slot);
      }
    }
  }
}

function sameIds(a: readonly string[], b: readonly string[]): boolean {
  if (a === b) {
    return true;
  }
  if (a.length !== b.length) {
    return false;
  }
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== b[i]) {
      return false;
    }
  }
  return true;
}
