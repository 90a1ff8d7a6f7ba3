/**
 * An index over free capacity for `ReservationLedger.place` (issue 14): a tree of blocks of
 * candidates holding, per subtree, the most any member has free and bounds on the fit key, so a
 * best-fit / worst-fit / most-traffic decision visits a few blocks instead of every candidate.
 * Pure data and functions over a {@link CandidateTable} and its reservation slots; the search lives
 * in `placement-search.ts`. Internal (not exported from the package).
 */
import type { CandidateTable } from './candidate-table';
import type { ReservedSlots } from './schedule-core';

/** Candidates per leaf block: a leaf is scanned linearly, which is cheaper than 3 more tree levels. */
export const BLOCK = 8;

/**
 * Thresholds of free CPU (millicores) and memory (MB) for the tiered minimum key. Why tiers: the
 * fullest candidates have the lowest key, but they are also the ones too full for the request, so
 * a bound over every member would prune nothing under best-fit. `keyMinCpu[t]` is the lowest key
 * over the members with at least `CPU_TIERS[t]` CPU free (and some memory), and a request uses the
 * highest tier it reaches in each resource. Roughly ×1.6 apart: a bound never counts a member with
 * less than ~60% of what is asked.
 */
export const CPU_TIERS: readonly number[] = [0, 100, 160, 250, 400, 640, 1000, 1600, 2500, 4000];
export const MEM_TIERS: readonly number[] = [0, 64, 100, 160, 256, 400, 640, 1024, 1600, 2560];
export const TIERS = CPU_TIERS.length;

export interface PlacementTree {
  readonly table: CandidateTable;
  readonly slots: ReservedSlots;
  /** Leaf position → table slot. Candidates are laid out by allocatable shape so subtrees share one. */
  readonly order: Int32Array;
  /** Table slot → position. */
  readonly posOf: Int32Array;
  /** Leaf blocks, a power of two; node `k` has children `2k`, `2k + 1`; block `b` is node `leaves + b`. */
  readonly leaves: number;
  /** Max over active members of free room, capped by `largestNodeFree` (−∞ when none). */
  readonly feasCpu: Float64Array;
  readonly feasMem: Float64Array;
  readonly feasGpu: Float64Array;
  /** Min / max of 1 / allocatable (0 for a resource the candidate has none of) over active members. */
  readonly invCpuMin: Float64Array;
  readonly invCpuMax: Float64Array;
  readonly invMemMin: Float64Array;
  readonly invMemMax: Float64Array;
  /** Max key and max `netRx` over active members with room ≥ 0 in both resources. */
  readonly keyMax: Float64Array;
  readonly netMax: Float64Array;
  /** `[node * TIERS + t]`: tiered min keys (see {@link CPU_TIERS}). */
  readonly keyMinCpu: Float64Array;
  readonly keyMinMem: Float64Array;
  /** Slot of each id, and slots of each name, for `direct` pins. */
  readonly slotOfId: ReadonlyMap<string, number>;
  readonly slotsOfName: ReadonlyMap<string, readonly number[]>;
  /** Slots whose reservation totals are not finite or beyond ±1e15: while any exists, the tree declines. */
  readonly badSlots: Set<number>;
}

/**
 * The fit key of a slot: `free CPU / allocatable CPU + free memory / allocatable memory` (a
 * resource the candidate has none of counts 0). The scheduler's score for a request is the key
 * minus `want / allocatable` per resource, up to rounding.
 */
export function keyOf(aCpu: number, aMem: number, freeCpu: number, freeMem: number): number {
  return (aCpu > 0 ? freeCpu / aCpu : 0) + (aMem > 0 ? freeMem / aMem : 0);
}

/** The highest tier whose threshold `want` reaches. */
export function tierOf(tiers: readonly number[], want: number): number {
  let t = 0;
  while (t + 1 < tiers.length && (tiers[t + 1] as number) <= want) {
    t++;
  }
  return t;
}

/**
 * Magnitudes past which the tree declines, so keys and bounds never overflow: an amount must be 0
 * or within [1, 1e15] (millicores, MB), a reservation total within ±1e15.
 */
const MAX_AMOUNT = 1e15;

function sane(a: number): boolean {
  return a === 0 || (Math.abs(a) >= 1 && Math.abs(a) <= MAX_AMOUNT);
}

/**
 * Builds the tree, or returns `undefined` when the table holds a number the tree cannot order
 * exactly like the scan (allocatable not {@link sane}, non-finite usage, NaN `largestNodeFree`).
 */
export function buildTree(table: CandidateTable, slots: ReservedSlots): PlacementTree | undefined {
  const n = table.length;
  for (let s = 0; s < n; s++) {
    if (
      !sane(table.cpu[s] as number) ||
      !sane(table.mem[s] as number) ||
      !Number.isFinite(table.gpu[s]) ||
      Number.isNaN(table.largestCpu[s]) ||
      Number.isNaN(table.largestMem[s]) ||
      Number.isNaN(table.largestGpu[s]) ||
      !Number.isFinite(table.netRx[s]) ||
      !Number.isFinite(table.cpuPercent[s])
    ) {
      return undefined;
    }
  }
  const order = Int32Array.from({ length: n }, (_, i) => i);
  // Same shape next to each other, so a subtree's 1/allocatable bounds are tight.
  order.sort(
    (x, y) =>
      (table.cpu[x] as number) - (table.cpu[y] as number) ||
      (table.mem[x] as number) - (table.mem[y] as number) ||
      x - y,
  );
  const posOf = new Int32Array(n);
  order.forEach((slot, pos) => (posOf[slot] = pos));
  let leaves = 1;
  while (leaves * BLOCK < n) {
    leaves *= 2;
  }
  const nodes = 2 * leaves;
  const f64 = (fill: number, k = 1): Float64Array => new Float64Array(nodes * k).fill(fill);
  const slotOfId = new Map<string, number>();
  const slotsOfName = new Map<string, number[]>();
  for (let s = 0; s < n; s++) {
    const c = table.candidates[s];
    if (c === undefined) {
      continue;
    }
    slotOfId.set(c.id, s);
    const named = slotsOfName.get(c.name);
    if (named === undefined) {
      slotsOfName.set(c.name, [s]);
    } else {
      named.push(s);
    }
  }
  const tree: PlacementTree = {
    table,
    slots,
    order,
    posOf,
    leaves,
    feasCpu: f64(-Infinity),
    feasMem: f64(-Infinity),
    feasGpu: f64(-Infinity),
    invCpuMin: f64(Infinity),
    invCpuMax: f64(-Infinity),
    invMemMin: f64(Infinity),
    invMemMax: f64(-Infinity),
    keyMax: f64(-Infinity),
    netMax: f64(-Infinity),
    keyMinCpu: f64(Infinity, TIERS),
    keyMinMem: f64(Infinity, TIERS),
    slotOfId,
    slotsOfName,
    badSlots: new Set(),
  };
  for (let s = 0; s < n; s++) {
    if (!finiteSlot(slots, s)) {
      tree.badSlots.add(s);
    }
  }
  for (let b = 0; b < leaves; b++) {
    recomputeBlock(tree, b);
  }
  for (let k = leaves - 1; k >= 1; k--) {
    combine(tree, k);
  }
  return tree;
}

function finiteSlot(slots: ReservedSlots, s: number): boolean {
  const { cpu, mem, gpu } = slots;
  return (
    Math.abs(cpu[s] as number) <= MAX_AMOUNT && Math.abs(mem[s] as number) <= MAX_AMOUNT && Number.isFinite(gpu[s])
  );
}

/** Call after the reservation totals of table slot `slot` changed in `tree.slots`: O(log n). */
export function updateSlot(tree: PlacementTree, slot: number): void {
  if (finiteSlot(tree.slots, slot)) {
    tree.badSlots.delete(slot);
  } else {
    tree.badSlots.add(slot);
  }
  const b = Math.floor((tree.posOf[slot] as number) / BLOCK);
  recomputeBlock(tree, b);
  for (let k = (tree.leaves + b) >> 1; k >= 1; k >>= 1) {
    combine(tree, k);
  }
}

/** A leaf block's aggregates from its members. */
function recomputeBlock(tree: PlacementTree, b: number): void {
  const { table, slots, order } = tree;
  const node = tree.leaves + b;
  let fc = -Infinity;
  let fm = -Infinity;
  let fg = -Infinity;
  let icMin = Infinity;
  let icMax = -Infinity;
  let imMin = Infinity;
  let imMax = -Infinity;
  let kMax = -Infinity;
  let nMax = -Infinity;
  const base = node * TIERS;
  tree.keyMinCpu.fill(Infinity, base, base + TIERS);
  tree.keyMinMem.fill(Infinity, base, base + TIERS);
  const end = Math.min(order.length, (b + 1) * BLOCK);
  for (let pos = b * BLOCK; pos < end; pos++) {
    const s = order[pos] as number;
    if (table.active[s] === 0) {
      continue;
    }
    const aCpu = table.cpu[s] as number;
    const aMem = table.mem[s] as number;
    const freeCpu = aCpu - (slots.cpu[s] as number);
    const freeMem = aMem - (slots.mem[s] as number);
    const capCpu = Math.min(freeCpu, table.largestCpu[s] as number);
    const capMem = Math.min(freeMem, table.largestMem[s] as number);
    const capGpu = Math.min((table.gpu[s] as number) - (slots.gpu[s] as number), table.largestGpu[s] as number);
    fc = Math.max(fc, capCpu);
    fm = Math.max(fm, capMem);
    fg = Math.max(fg, capGpu);
    const ic = aCpu > 0 ? 1 / aCpu : 0;
    const im = aMem > 0 ? 1 / aMem : 0;
    icMin = Math.min(icMin, ic);
    icMax = Math.max(icMax, ic);
    imMin = Math.min(imMin, im);
    imMax = Math.max(imMax, im);
    if (!(capCpu >= 0 && capMem >= 0)) {
      continue; // fits no request (requests are never negative on this path)
    }
    const key = keyOf(aCpu, aMem, freeCpu, freeMem);
    kMax = Math.max(kMax, key);
    nMax = Math.max(nMax, table.netRx[s] as number);
    for (let t = 0; t < TIERS && capCpu >= (CPU_TIERS[t] as number); t++) {
      if (key < (tree.keyMinCpu[base + t] as number)) {
        tree.keyMinCpu[base + t] = key;
      }
    }
    for (let t = 0; t < TIERS && capMem >= (MEM_TIERS[t] as number); t++) {
      if (key < (tree.keyMinMem[base + t] as number)) {
        tree.keyMinMem[base + t] = key;
      }
    }
  }
  tree.feasCpu[node] = fc;
  tree.feasMem[node] = fm;
  tree.feasGpu[node] = fg;
  tree.invCpuMin[node] = icMin;
  tree.invCpuMax[node] = icMax;
  tree.invMemMin[node] = imMin;
  tree.invMemMax[node] = imMax;
  tree.keyMax[node] = kMax;
  tree.netMax[node] = nMax;
}

/** An inner node's aggregates from its two children. */
function combine(tree: PlacementTree, k: number): void {
  const l = 2 * k;
  const r = l + 1;
  tree.feasCpu[k] = Math.max(tree.feasCpu[l] as number, tree.feasCpu[r] as number);
  tree.feasMem[k] = Math.max(tree.feasMem[l] as number, tree.feasMem[r] as number);
  tree.feasGpu[k] = Math.max(tree.feasGpu[l] as number, tree.feasGpu[r] as number);
  tree.invCpuMin[k] = Math.min(tree.invCpuMin[l] as number, tree.invCpuMin[r] as number);
  tree.invCpuMax[k] = Math.max(tree.invCpuMax[l] as number, tree.invCpuMax[r] as number);
  tree.invMemMin[k] = Math.min(tree.invMemMin[l] as number, tree.invMemMin[r] as number);
  tree.invMemMax[k] = Math.max(tree.invMemMax[l] as number, tree.invMemMax[r] as number);
  tree.keyMax[k] = Math.max(tree.keyMax[l] as number, tree.keyMax[r] as number);
  tree.netMax[k] = Math.max(tree.netMax[l] as number, tree.netMax[r] as number);
  const kb = k * TIERS;
  const lb = l * TIERS;
  const rb = r * TIERS;
  for (let t = 0; t < TIERS; t++) {
    tree.keyMinCpu[kb + t] = Math.min(tree.keyMinCpu[lb + t] as number, tree.keyMinCpu[rb + t] as number);
    tree.keyMinMem[kb + t] = Math.min(tree.keyMinMem[lb + t] as number, tree.keyMinMem[rb + t] as number);
  }
}
