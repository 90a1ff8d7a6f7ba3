/**
 * Branch-and-bound search of a {@link PlacementTree}: the candidate `scheduleTableCore` would
 * choose, found by visiting only subtrees that could hold it. Exactness rests on two rules: a
 * subtree is skipped only when its bounds prove every member infeasible or strictly worse than
 * the best so far (bounds are widened by a rounding margin), and members are compared with the
 * scan's own total order (spread load, policy score, CPU busy, id). Internal.
 */
import type { Filters } from './schedule-filters';
import { BEST_FIT, MOST_TRAFFIC, PASS, WORST_FIT, filterStage, prepare } from './schedule-filters';
import { BLOCK, CPU_TIERS, MEM_TIERS, TIERS, tierOf, type PlacementTree } from './placement-tree';
import type { Candidate, PlacementRequest, Policy } from './types';

/** Relative slack on bounds: rounding moves a score by ~1e-16 of its terms, this by 1e-9. */
const SLACK = 1e-9;

/** The running choice, compared exactly as the scan compares (see `scheduleTableCore`). */
class Choice {
  slot = -1;
  load = 0;
  score = 0;
  traffic = 0;

  constructor(
    private readonly tree: PlacementTree,
    private readonly mode: number,
  ) {}

  offer(s: number, load: number, score: number, traffic: number): void {
    if (this.slot >= 0) {
      if (load !== this.load) {
        if (load > this.load) {
          return;
        }
      } else if (this.mode === MOST_TRAFFIC && traffic !== this.traffic) {
        if (traffic < this.traffic) {
          return;
        }
      } else if (score !== this.score) {
        if (this.mode === BEST_FIT ? score > this.score : score < this.score) {
          return;
        }
      } else if (!this.breaksTie(s)) {
        return;
      }
    }
    this.slot = s;
    this.load = load;
    this.score = score;
    this.traffic = traffic;
  }

  private breaksTie(s: number): boolean {
    const { cpuPercent, ids } = this.tree.table;
    const p = cpuPercent[s] as number;
    const q = cpuPercent[this.slot] as number;
    return p !== q ? p < q : (ids[s] as string) < (ids[this.slot] as string);
  }
}

/**
 * The slot the scan would choose for `request`, `-1` when nothing fits (the caller then runs the
 * scan, which explains the failure), or `undefined` when the tree cannot decide this request
 * exactly (first-fit, negative or non-finite amounts, non-finite reservations): scan instead.
 */
export function searchTree(tree: PlacementTree, request: PlacementRequest, policy: Policy): number | undefined {
  const { f, filtering, mode, wantCpu, wantMem, wantGpu } = prepare(request, policy);
  if (mode !== BEST_FIT && mode !== WORST_FIT && mode !== MOST_TRAFFIC) {
    return undefined;
  }
  if (!(wantCpu >= 0 && wantMem >= 0 && wantGpu >= 0 && Number.isFinite(wantCpu + wantMem + wantGpu))) {
    return undefined;
  }
  if (tree.badSlots.size > 0) {
    return undefined;
  }
  const spread = request.spread !== undefined && request.spread.size > 0 ? request.spread : undefined;
  if (spread !== undefined) {
    for (const load of spread.values()) {
      if (!(load >= 0)) {
        return undefined; // a negative load would outrank load 0 everywhere
      }
    }
  }
  const choice = new Choice(tree, mode);
  const evaluate = (s: number, load: number): void => {
    const t = tree.table;
    if (t.active[s] === 0 || (filtering && filterStage(t.candidates[s] as Candidate, f) !== PASS)) {
      return;
    }
    const aCpu = t.cpu[s] as number;
    const aMem = t.mem[s] as number;
    const freeCpu = aCpu - (tree.slots.cpu[s] as number);
    const freeMem = aMem - (tree.slots.mem[s] as number);
    if (freeCpu < wantCpu || freeMem < wantMem || (t.gpu[s] as number) - (tree.slots.gpu[s] as number) < wantGpu) {
      return;
    }
    if (
      t.hasLargestNodeFree &&
      ((t.largestCpu[s] as number) < wantCpu ||
        (t.largestMem[s] as number) < wantMem ||
        (t.largestGpu[s] as number) < wantGpu)
    ) {
      return;
    }
    // The scan's score, computed the scan's way (same rounding).
    const score = (aCpu > 0 ? (freeCpu - wantCpu) / aCpu : 0) + (aMem > 0 ? (freeMem - wantMem) / aMem : 0);
    choice.offer(s, load, score, t.netRx[s] as number);
  };

  if (f.pins !== undefined) {
    // A pin names a handful of candidates: look at exactly those.
    for (const s of pinnedSlots(tree, f)) {
      evaluate(s, spread?.get(tree.table.ids[s] as string) ?? 0);
    }
    return choice.slot;
  }
  walk(tree, mode, wantCpu, wantMem, wantGpu, choice, (s) => {
    const load = spread === undefined ? 0 : (spread.get(tree.table.ids[s] as string) ?? 0);
    if (load === 0) {
      evaluate(s, 0);
    }
  });
  if (choice.slot < 0 && spread !== undefined) {
    // No member without a replica fits: the least-loaded of those the spread map names wins.
    for (const [id, load] of spread) {
      const s = tree.slotOfId.get(id);
      if (s !== undefined && load > 0) {
        evaluate(s, load);
      }
    }
  }
  return choice.slot;
}

function pinnedSlots(tree: PlacementTree, f: Filters): Set<number> {
  const out = new Set<number>();
  for (const pin of f.pins ?? []) {
    const s = tree.slotOfId.get(pin);
    if (s !== undefined) {
      out.add(s);
    }
    for (const t of tree.slotsOfName.get(pin) ?? []) {
      out.add(t);
    }
  }
  return out;
}

const stack = new Int32Array(256);

/** Depth-first over the subtrees that may hold a better member, most promising child first. */
function walk(
  tree: PlacementTree,
  mode: number,
  wantCpu: number,
  wantMem: number,
  wantGpu: number,
  choice: Choice,
  visit: (slot: number) => void,
): void {
  const tc = tierOf(CPU_TIERS, wantCpu);
  const tm = tierOf(MEM_TIERS, wantMem);
  const { feasCpu, feasMem, feasGpu, keyMax, netMax, invCpuMin, invCpuMax, invMemMin, invMemMax } = tree;
  // The best score any member of subtree k could have: a lower bound under best-fit, else an upper one.
  const bound = (k: number): number => {
    if (mode === BEST_FIT) {
      const pc = wantCpu * (invCpuMax[k] as number);
      const pm = wantMem * (invMemMax[k] as number);
      const key = Math.max(tree.keyMinCpu[k * TIERS + tc] as number, tree.keyMinMem[k * TIERS + tm] as number);
      return key - pc - pm - SLACK * (1 + Math.abs(key) + pc + pm);
    }
    const pc = wantCpu * (invCpuMin[k] as number);
    const pm = wantMem * (invMemMin[k] as number);
    const key = keyMax[k] as number;
    return key - pc - pm + SLACK * (1 + Math.abs(key) + pc + pm);
  };
  // Whether subtree k may hold a member at least as good as the current choice (load-0 members only).
  const promising = (k: number): boolean => {
    if ((feasCpu[k] as number) < wantCpu || (feasMem[k] as number) < wantMem || (feasGpu[k] as number) < wantGpu) {
      return false;
    }
    if (choice.slot < 0) {
      return true;
    }
    if (mode === MOST_TRAFFIC) {
      const net = netMax[k] as number;
      if (net !== choice.traffic) {
        return net > choice.traffic;
      }
    }
    const b = bound(k);
    return mode === BEST_FIT ? !(b > choice.score) : !(b < choice.score);
  };
  // Whether subtree a should be searched before subtree b.
  const first = (a: number, b: number): boolean => {
    if (mode === MOST_TRAFFIC && netMax[a] !== netMax[b]) {
      return (netMax[a] as number) > (netMax[b] as number);
    }
    return mode === BEST_FIT ? bound(a) <= bound(b) : bound(a) >= bound(b);
  };
  const leaves = tree.leaves;
  const order = tree.order;
  let top = 0;
  stack[top++] = 1;
  while (top > 0) {
    const k = stack[--top] as number;
    if (!promising(k)) {
      continue;
    }
    if (k >= leaves) {
      const start = (k - leaves) * BLOCK;
      const end = Math.min(order.length, start + BLOCK);
      for (let pos = start; pos < end; pos++) {
        visit(order[pos] as number);
      }
      continue;
    }
    const l = 2 * k;
    if (first(l, l + 1)) {
      stack[top++] = l + 1;
      stack[top++] = l;
    } else {
      stack[top++] = l;
      stack[top++] = l + 1;
    }
  }
}
