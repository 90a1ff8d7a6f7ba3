/**
 * The placement loop shared by `schedule` and `ReservationLedger.place`. Internal (not exported
 * from the package): the public entry points wrap it.
 */
import type { CandidateTable } from './candidate-table';
import { explainFiltered, explainNoCapacity } from './schedule-explain';
import { BEST_FIT, FIRST_FIT, filterStage, MOST_TRAFFIC, PASS, prepare, WORST_FIT } from './schedule-filters';
import type { Candidate, CandidateKind, Decision, PlacementRequest, Policy, Resources } from './types';

/**
 * Reservation totals laid out by position in a candidates array (`ids[i]` is the candidate the
 * `i`-th entries belong to). Reading them costs an array load instead of a hash lookup per
 * candidate, which is most of a decision's cost at 10,000 candidates.
 */
export interface ReservedSlots {
  ids: readonly string[];
  cpu: Float64Array;
  mem: Float64Array;
  gpu: Float64Array;
}

/**
 * One pass over the candidates with no allocation per candidate. Reservations come from `slots`
 * when given (positionally), else from `reserved(id)`. Returns `undefined` when `slots` does not
 * describe `candidates` (an id differs at a position it needed), so the caller can re-index.
 * A failed decision pays a second pass to explain itself.
 */
export function scheduleCore(
  candidates: readonly Candidate[],
  reserved: (candidateId: string) => Resources,
  slots: ReservedSlots | undefined,
  request: PlacementRequest,
  policy: Policy,
  kind: CandidateKind,
): Decision | undefined {
  if (candidates.length === 0) {
    return { ok: false, reason: 'no-candidates', detail: `no ${kind} is registered yet, so nothing can be placed` };
  }
  if (slots !== undefined && slots.ids.length !== candidates.length) {
    return undefined;
  }
  const { f, filtering, mode, wantCpu, wantMem, wantGpu } = prepare(request, policy);

  const spread = request.spread !== undefined && request.spread.size > 0 ? request.spread : undefined;
  let passed = 0;
  let best: Candidate | undefined;
  let bestScore = 0;
  let bestTraffic = 0;
  let bestLoad = 0;
  for (let i = 0; i < candidates.length; i++) {
    const c = candidates[i] as Candidate;
    if (!c.active) {
      continue;
    }
    if (filtering && filterStage(c, f) !== PASS) {
      continue;
    }
    passed++;
    let rCpu: number;
    let rMem: number;
    let rGpu: number;
    if (slots !== undefined) {
      if (c.id !== slots.ids[i]) {
        return undefined;
      }
      rCpu = slots.cpu[i] as number;
      rMem = slots.mem[i] as number;
      rGpu = slots.gpu[i] as number;
    } else {
      const r = reserved(c.id);
      rCpu = r.cpuMillis;
      rMem = r.memoryMb;
      rGpu = r.gpus;
    }
    const a = c.allocatable;
    const freeCpu = a.cpuMillis - rCpu;
    const freeMem = a.memoryMb - rMem;
    if (freeCpu < wantCpu || freeMem < wantMem || a.gpus - rGpu < wantGpu) {
      continue;
    }
    const l = c.largestNodeFree;
    if (l !== undefined && (l.cpuMillis < wantCpu || l.memoryMb < wantMem || l.gpus < wantGpu)) {
      continue;
    }
    // Spread: the fewest instances of the same service first; nothing can beat a candidate with none.
    const load = spread === undefined ? 0 : (spread.get(c.id) ?? 0);
    if (mode === FIRST_FIT && load === 0) {
      return { ok: true, candidateId: c.id };
    }

    // Inlined `fitScore` (see scheduler.ts for why this score); keep the two in step.
    const score =
      (a.cpuMillis > 0 ? (freeCpu - wantCpu) / a.cpuMillis : 0) +
      (a.memoryMb > 0 ? (freeMem - wantMem) / a.memoryMb : 0);
    if (best === undefined || load < bestLoad) {
      best = c;
      bestScore = score;
      bestTraffic = c.netRxBps ?? 0;
      bestLoad = load;
      continue;
    }
    if (load > bestLoad || mode === FIRST_FIT) {
      continue;
    }
    let cmp: number; // < 0: c beats best
    if (mode === BEST_FIT) {
      cmp = score - bestScore;
    } else if (mode === WORST_FIT) {
      cmp = bestScore - score;
    } else {
      const traffic = c.netRxBps ?? 0;
      cmp = traffic !== bestTraffic ? bestTraffic - traffic : bestScore - score;
    }
    if (cmp < 0 || (cmp === 0 && breaksTie(c, best))) {
      best = c;
      bestScore = score;
      bestTraffic = c.netRxBps ?? 0;
    }
  }
  if (best !== undefined) {
    return { ok: true, candidateId: best.id };
  }
  if (passed === 0) {
    return { ok: false, reason: 'filtered', detail: explainFiltered(candidates, request, f, kind) };
  }
  return { ok: false, reason: 'no-capacity', detail: explainNoCapacity(candidates, reserved, request, f, kind) };
}

/**
 * `scheduleCore` over a {@link CandidateTable}: the same decisions, read from dense columns.
 * Keep the two loops in step (the property tests compare them on random inputs).
 */
export function scheduleTableCore(
  table: CandidateTable,
  reserved: (candidateId: string) => Resources,
  slots: ReservedSlots | undefined,
  request: PlacementRequest,
  policy: Policy,
  kind: CandidateKind,
): Decision | undefined {
  const n = table.length;
  if (n === 0) {
    return { ok: false, reason: 'no-candidates', detail: `no ${kind} is registered yet, so nothing can be placed` };
  }
  if (slots === undefined) {
    slots = slotsFrom(table.ids, reserved);
  } else if (slots.ids.length !== n) {
    return undefined;
  } else if (slots.ids !== table.ids) {
    // An index built from another list with the same ids in the same order is still right.
    for (let i = 0; i < n; i++) {
      if (table.ids[i] !== slots.ids[i]) {
        return undefined;
      }
    }
  }
  const { f, filtering, mode, wantCpu, wantMem, wantGpu } = prepare(request, policy);
  const { candidates, ids, active, cpu, mem, gpu, largestCpu, largestMem, largestGpu, netRx } = table;
  // The loop is bound by memory traffic, so columns that cannot matter are not read at all.
  const checkLargest = table.hasLargestNodeFree;
  const rCpu = slots.cpu;
  const rMem = slots.mem;
  const rGpu = slots.gpu;
  // best-fit keeps the lowest score: negate it so every policy keeps the highest key.
  const sign = mode === BEST_FIT ? -1 : 1;

  const spread = request.spread !== undefined && request.spread.size > 0 ? request.spread : undefined;
  let passed = 0;
  let best = -1;
  let bestKey = 0;
  let bestTraffic = 0;
  let bestLoad = 0;
  for (let i = 0; i < n; i++) {
    if (active[i] === 0) {
      continue;
    }
    if (filtering && filterStage(candidates[i] as Candidate, f) !== PASS) {
      continue;
    }
    passed++;
    const aCpu = cpu[i] as number;
    const aMem = mem[i] as number;
    const freeCpu = aCpu - (rCpu[i] as number);
    const freeMem = aMem - (rMem[i] as number);
    if (freeCpu < wantCpu || freeMem < wantMem || (gpu[i] as number) - (rGpu[i] as number) < wantGpu) {
      continue;
    }
    if (
      checkLargest &&
      ((largestCpu[i] as number) < wantCpu ||
        (largestMem[i] as number) < wantMem ||
        (largestGpu[i] as number) < wantGpu)
    ) {
      continue;
    }
    const load = spread === undefined ? 0 : (spread.get(ids[i] as string) ?? 0);
    if (mode === FIRST_FIT && load === 0) {
      return { ok: true, candidateId: ids[i] as string };
    }

    const key = sign * ((aCpu > 0 ? (freeCpu - wantCpu) / aCpu : 0) + (aMem > 0 ? (freeMem - wantMem) / aMem : 0));
    if (best >= 0 && load > bestLoad) {
      continue;
    }
    if (best < 0 || load < bestLoad) {
      best = i;
      bestKey = key;
      bestTraffic = netRx[i] as number;
      bestLoad = load;
      continue;
    }
    if (mode === FIRST_FIT) {
      continue;
    }
    if (mode === MOST_TRAFFIC) {
      const traffic = netRx[i] as number;
      if (best >= 0 && traffic < bestTraffic) {
        continue;
      }
      if (best < 0 || traffic > bestTraffic || key > bestKey || (key === bestKey && tableTieBreak(table, i, best))) {
        best = i;
        bestKey = key;
        bestTraffic = traffic;
      }
    } else if (best < 0 || key > bestKey || (key === bestKey && tableTieBreak(table, i, best))) {
      best = i;
      bestKey = key;
    }
  }
  if (best >= 0) {
    return { ok: true, candidateId: ids[best] as string };
  }
  if (passed === 0) {
    return { ok: false, reason: 'filtered', detail: explainFiltered(candidates, request, f, kind) };
  }
  return { ok: false, reason: 'no-capacity', detail: explainNoCapacity(candidates, reserved, request, f, kind) };
}

/** `breaksTie` over table columns. */
function tableTieBreak(table: CandidateTable, i: number, incumbent: number): boolean {
  const p = table.cpuPercent[i] as number;
  const q = table.cpuPercent[incumbent] as number;
  if (p !== q) {
    return p < q;
  }
  return (table.ids[i] as string) < (table.ids[incumbent] as string);
}

/** Reservations of a table's candidates read once through `reserved`, for `schedule` without a ledger. */
function slotsFrom(ids: readonly string[], reserved: (candidateId: string) => Resources): ReservedSlots {
  const n = ids.length;
  const slots: ReservedSlots = { ids, cpu: new Float64Array(n), mem: new Float64Array(n), gpu: new Float64Array(n) };
  for (let i = 0; i < n; i++) {
    const r = reserved(ids[i] as string);
    slots.cpu[i] = r.cpuMillis;
    slots.mem[i] = r.memoryMb;
    slots.gpu[i] = r.gpus;
  }
  return slots;
}

/** Whether `c` wins a tie against `incumbent`: less busy CPU (unknown counts as 0), then lower id. */
function breaksTie(c: Candidate, incumbent: Candidate): boolean {
  const p = c.cpuPercent ?? 0;
  const q = incumbent.cpuPercent ?? 0;
  if (p !== q) {
    return p < q;
  }
  return c.id < incumbent.id;
}
