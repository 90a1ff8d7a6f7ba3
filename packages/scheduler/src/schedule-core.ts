/**
 * The placement loop shared by `schedule` and `ReservationLedger.place`. Internal (not exported
 * from the package): the public entry points wrap it.
 */
import type { CandidateTable } from './candidate-table';
import { distanceKm } from './geo';
import type { Candidate, CandidateKind, Decision, GeoPoint, PlacementRequest, Policy, Resources } from './types';

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

const FIRST_FIT = 0;
const BEST_FIT = 1;
const WORST_FIT = 2;
const MOST_TRAFFIC = 3;

function modeOf(policy: Policy): number {
  switch (policy) {
    case 'first-fit':
      return FIRST_FIT;
    case 'best-fit':
      return BEST_FIT;
    case 'worst-fit':
      return WORST_FIT;
    case 'most-traffic':
      return MOST_TRAFFIC;
  }
}

/** The request's filters, decoded once per call so the per-candidate loop only compares. */
interface Filters {
  pins: ReadonlySet<string> | undefined;
  arch: string | undefined;
  archAlias: string | undefined;
  labelKeys: readonly string[];
  labelValues: readonly string[];
  near: (GeoPoint & { radiusKm: number }) | undefined;
  gpus: number;
}

// Docker/OCI say amd64/arm64, `uname -m` says x86_64/aarch64; nodes may report either.
const ARCH_ALIASES: ReadonlyMap<string, string> = new Map([
  ['amd64', 'x86_64'],
  ['x86_64', 'amd64'],
  ['arm64', 'aarch64'],
  ['aarch64', 'arm64'],
]);

function filtersOf(request: PlacementRequest): Filters {
  // An empty pin list is how an SLA without `direct` placement often arrives: treat it as no pin.
  const pins = request.pinned !== undefined && request.pinned.length > 0 ? new Set(request.pinned) : undefined;
  const labels = request.labels ?? {};
  const labelKeys = Object.keys(labels);
  return {
    pins,
    arch: request.arch,
    archAlias: request.arch === undefined ? undefined : ARCH_ALIASES.get(request.arch),
    labelKeys,
    labelValues: labelKeys.map((k) => labels[k] as string),
    near: request.near,
    gpus: request.requests.gpus,
  };
}

/** What both decision loops derive from a request, once per decision. */
interface Prepared {
  f: Filters;
  /** False when the request carries no filter, so the loops can skip the per-candidate checks. */
  filtering: boolean;
  mode: number;
  wantCpu: number;
  wantMem: number;
  wantGpu: number;
}

function prepare(request: PlacementRequest, policy: Policy): Prepared {
  const f = filtersOf(request);
  const { cpuMillis, memoryMb, gpus } = request.requests;
  return {
    f,
    filtering:
      f.pins !== undefined || f.arch !== undefined || f.labelKeys.length > 0 || f.near !== undefined || f.gpus > 0,
    mode: modeOf(policy),
    wantCpu: cpuMillis,
    wantMem: memoryMb,
    wantGpu: gpus,
  };
}

// Filter stages in the order they are checked; the diagnostic pass counts the first that failed.
const PASS = 0;
const INACTIVE = 1;
const NOT_PINNED = 2;
const WRONG_ARCH = 3;
const WRONG_LABELS = 4;
const TOO_FAR = 5;
const TOO_FEW_GPUS = 6;

function filterStage(c: Candidate, f: Filters): number {
  if (!c.active) return INACTIVE;
  if (f.pins !== undefined && !f.pins.has(c.id) && !f.pins.has(c.name)) return NOT_PINNED;
  if (
    f.arch !== undefined &&
    !c.architectures.includes(f.arch) &&
    (f.archAlias === undefined || !c.architectures.includes(f.archAlias))
  ) {
    return WRONG_ARCH;
  }
  for (let k = 0; k < f.labelKeys.length; k++) {
    const key = f.labelKeys[k] as string;
    // hasOwn: a request label named e.g. `constructor` must not match Object.prototype.
    if (!Object.hasOwn(c.labels, key) || c.labels[key] !== f.labelValues[k]) return WRONG_LABELS;
  }
  if (f.near !== undefined && (c.location === undefined || distanceKm(f.near, c.location) > f.near.radiusKm)) {
    return TOO_FAR;
  }
  // A GPU request is a hardware filter (SPEC §6 lists GPU count among the filters): a candidate
  // built with fewer GPUs can never take it, whatever is released. Too few *free* GPUs on a
  // candidate that has enough is a capacity problem instead.
  if (c.allocatable.gpus < f.gpus) return TOO_FEW_GPUS;
  return PASS;
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
  if (slots !== undefined && slots.ids.length !== candidates.length) return undefined;
  const { f, filtering, mode, wantCpu, wantMem, wantGpu } = prepare(request, policy);

  const spread = request.spread !== undefined && request.spread.size > 0 ? request.spread : undefined;
  let passed = 0;
  let best: Candidate | undefined;
  let bestScore = 0;
  let bestTraffic = 0;
  let bestLoad = 0;
  for (let i = 0; i < candidates.length; i++) {
    const c = candidates[i] as Candidate;
    if (!c.active) continue;
    if (filtering && filterStage(c, f) !== PASS) continue;
    passed++;
    let rCpu: number;
    let rMem: number;
    let rGpu: number;
    if (slots !== undefined) {
      if (c.id !== slots.ids[i]) return undefined;
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
    if (freeCpu < wantCpu || freeMem < wantMem || a.gpus - rGpu < wantGpu) continue;
    const l = c.largestNodeFree;
    if (l !== undefined && (l.cpuMillis < wantCpu || l.memoryMb < wantMem || l.gpus < wantGpu)) continue;
    // Spread: the fewest instances of the same service first; nothing can beat a candidate with none.
    const load = spread === undefined ? 0 : (spread.get(c.id) ?? 0);
    if (mode === FIRST_FIT && load === 0) return { ok: true, candidateId: c.id };

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
    if (load > bestLoad || mode === FIRST_FIT) continue;
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
  if (best !== undefined) return { ok: true, candidateId: best.id };
  if (passed === 0) return { ok: false, reason: 'filtered', detail: explainFiltered(candidates, request, f, kind) };
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
  if (slots === undefined) slots = slotsFrom(table.ids, reserved);
  else if (slots.ids.length !== n) return undefined;
  else if (slots.ids !== table.ids) {
    // An index built from another list with the same ids in the same order is still right.
    for (let i = 0; i < n; i++) if (table.ids[i] !== slots.ids[i]) return undefined;
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
    if (active[i] === 0) continue;
    if (filtering && filterStage(candidates[i] as Candidate, f) !== PASS) continue;
    passed++;
    const aCpu = cpu[i] as number;
    const aMem = mem[i] as number;
    const freeCpu = aCpu - (rCpu[i] as number);
    const freeMem = aMem - (rMem[i] as number);
    if (freeCpu < wantCpu || freeMem < wantMem || (gpu[i] as number) - (rGpu[i] as number) < wantGpu) continue;
    if (
      checkLargest &&
      ((largestCpu[i] as number) < wantCpu ||
        (largestMem[i] as number) < wantMem ||
        (largestGpu[i] as number) < wantGpu)
    ) {
      continue;
    }
    const load = spread === undefined ? 0 : (spread.get(ids[i] as string) ?? 0);
    if (mode === FIRST_FIT && load === 0) return { ok: true, candidateId: ids[i] as string };

    const key = sign * ((aCpu > 0 ? (freeCpu - wantCpu) / aCpu : 0) + (aMem > 0 ? (freeMem - wantMem) / aMem : 0));
    if (best >= 0 && load > bestLoad) continue;
    if (best < 0 || load < bestLoad) {
      best = i;
      bestKey = key;
      bestTraffic = netRx[i] as number;
      bestLoad = load;
      continue;
    }
    if (mode === FIRST_FIT) continue;
    if (mode === MOST_TRAFFIC) {
      const traffic = netRx[i] as number;
      if (best >= 0 && traffic < bestTraffic) continue;
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
  if (best >= 0) return { ok: true, candidateId: ids[best] as string };
  if (passed === 0) return { ok: false, reason: 'filtered', detail: explainFiltered(candidates, request, f, kind) };
  return { ok: false, reason: 'no-capacity', detail: explainNoCapacity(candidates, reserved, request, f, kind) };
}

/** `breaksTie` over table columns. */
function tableTieBreak(table: CandidateTable, i: number, incumbent: number): boolean {
  const p = table.cpuPercent[i] as number;
  const q = table.cpuPercent[incumbent] as number;
  if (p !== q) return p < q;
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
  if (p !== q) return p < q;
  return c.id < incumbent.id;
}

// ---------------------------------------------------------------------------------------------
// Failure details: off the hot path, only a failed decision gets here. They must read as
// sentences an operator can act on, so they name the filters, the numbers and the best near-miss.

function plural(kind: CandidateKind, n: number): string {
  return n === 1 ? kind : `${kind}s`;
}

function quoteList(items: readonly string[], joiner: 'or' | 'and'): string {
  const q = items.map((s) => JSON.stringify(s));
  if (q.length <= 1) return q.join('');
  return `${q.slice(0, -1).join(', ')} ${joiner} ${q[q.length - 1] as string}`;
}

function formatLabels(keys: readonly string[], values: readonly string[]): string {
  return `{${keys.map((k, i) => `${k}: ${JSON.stringify(values[i])}`).join(', ')}}`;
}

function gpuWord(n: number): string {
  return n === 1 ? 'GPU' : 'GPUs';
}

function explainFiltered(
  candidates: readonly Candidate[],
  request: PlacementRequest,
  f: Filters,
  kind: CandidateKind,
): string {
  const pins = f.pins;
  // A pin that names nothing at all is almost always a typo; say so before anything else.
  if (pins !== undefined && !candidates.some((c) => pins.has(c.id) || pins.has(c.name))) {
    const known = candidates.slice(0, 5).map((c) => c.name);
    const more = candidates.length > known.length ? ` and ${candidates.length - known.length} more` : '';
    return `no ${kind} named ${quoteList([...pins], 'or')}; known ${plural(kind, 2)}: ${quoteList(known, 'and')}${more}`;
  }

  const wants: string[] = [];
  if (f.arch !== undefined) wants.push(`arch ${f.arch}`);
  if (f.labelKeys.length > 0) wants.push(`labels ${formatLabels(f.labelKeys, f.labelValues)}`);
  if (f.gpus > 0) wants.push(`at least ${f.gpus} ${gpuWord(f.gpus)}`);
  let sentence = `no active ${kind}`;
  if (pins !== undefined) sentence += ` named ${quoteList([...pins], 'or')}`;
  if (wants.length > 0) sentence += ` with ${wants.join(' and ')}`;
  const near = request.near;
  if (near !== undefined) sentence += ` within ${near.radiusKm} km of (${near.lat}, ${near.long})`;

  const counts = [0, 0, 0, 0, 0, 0, 0];
  for (const c of candidates) counts[filterStage(c, f)]!++;
  const why: string[] = [];
  const add = (stage: number, text: string): void => {
    const n = counts[stage] as number;
    if (n > 0) why.push(`${n} ${text}`);
  };
  add(INACTIVE, 'inactive');
  add(NOT_PINNED, 'not named by the pin');
  add(WRONG_ARCH, `without arch ${f.arch ?? ''}`);
  add(WRONG_LABELS, 'without those labels');
  add(TOO_FAR, near === undefined ? '' : `farther than ${near.radiusKm} km or without a location`);
  add(TOO_FEW_GPUS, `with fewer than ${f.gpus} ${gpuWord(f.gpus)}`);
  return `${sentence} (of ${candidates.length} ${plural(kind, candidates.length)}: ${why.join(', ')})`;
}

interface Room {
  c: Candidate;
  cpu: number;
  mem: number;
  gpus: number;
  /** Whether `largestNodeFree` (root tier), not the candidate's total free room, set the limit. */
  capped: boolean;
}

function explainNoCapacity(
  candidates: readonly Candidate[],
  reserved: (candidateId: string) => Resources,
  request: PlacementRequest,
  f: Filters,
  kind: CandidateKind,
): string {
  const want = request.requests;
  // What each eligible candidate could actually hand one instance: its free room, capped at the
  // root tier by what its largest node can still take.
  const rooms: Room[] = [];
  for (const c of candidates) {
    if (filterStage(c, f) !== PASS) continue;
    const r = reserved(c.id);
    const a = c.allocatable;
    let cpu = a.cpuMillis - r.cpuMillis;
    let mem = a.memoryMb - r.memoryMb;
    let gpus = a.gpus - r.gpus;
    let capped = false;
    const l = c.largestNodeFree;
    if (l !== undefined) {
      capped = l.cpuMillis < Math.min(cpu, want.cpuMillis) || l.memoryMb < Math.min(mem, want.memoryMb);
      cpu = Math.min(cpu, l.cpuMillis);
      mem = Math.min(mem, l.memoryMb);
      gpus = Math.min(gpus, l.gpus);
    }
    rooms.push({ c, cpu: Math.max(0, cpu), mem: Math.max(0, mem), gpus: Math.max(0, gpus), capped });
  }
  const first = rooms[0];
  // Unreachable when called after a pass that counted eligible candidates; kept for type safety.
  if (first === undefined) return `no active ${kind} passes the filters`;
  const matching = `${rooms.length} active ${plural(kind, rooms.length)}${filtersText(f)}`;

  if (want.gpus > 0 && rooms.every((e) => e.gpus < want.gpus)) {
    const top = rooms.reduce((x, y) => (y.gpus > x.gpus ? y : x), first);
    return (
      `no ${kind} has ${want.gpus} ${gpuWord(want.gpus)} free (largest: ${top.gpus} on ${top.c.name}); ` +
      `checked ${matching}; release GPU work or add GPU capacity`
    );
  }

  // The candidate closest to fitting: the smallest worst relative shortfall over the resources.
  const shortfall = (e: Room): number =>
    Math.max(
      want.cpuMillis > 0 ? (want.cpuMillis - e.cpu) / want.cpuMillis : 0,
      want.memoryMb > 0 ? (want.memoryMb - e.mem) / want.memoryMb : 0,
      want.gpus > 0 ? (want.gpus - e.gpus) / want.gpus : 0,
    );
  const closest = rooms.reduce((x, y) => (shortfall(y) < shortfall(x) ? y : x), first);
  let needs = `needs ${want.cpuMillis}m CPU and ${want.memoryMb} MB`;
  if (want.gpus > 0) needs += ` and ${want.gpus} ${gpuWord(want.gpus)}`;
  let has = `${closest.cpu}m / ${closest.mem} MB`;
  if (want.gpus > 0) has += ` / ${closest.gpus} ${gpuWord(closest.gpus)}`;
  const where = closest.capped ? ` (its largest node)` : '';
  return (
    `${needs}; most free is ${has} on ${closest.c.name}${where}; none of ${matching} has room ` +
    `(release instances, add capacity or lower the request)`
  );
}

function filtersText(f: Filters): string {
  const parts: string[] = [];
  if (f.pins !== undefined) parts.push(`named ${quoteList([...f.pins], 'or')}`);
  if (f.arch !== undefined) parts.push(`with arch ${f.arch}`);
  if (f.labelKeys.length > 0) parts.push(`with labels ${formatLabels(f.labelKeys, f.labelValues)}`);
  if (f.near !== undefined) parts.push(`within ${f.near.radiusKm} km`);
  return parts.length > 0 ? ` ${parts.join(' ')}` : '';
}
