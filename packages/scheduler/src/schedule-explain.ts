/**
 * Failure details: off the hot path, only a failed decision gets here. They must read as
 * sentences an operator can act on, so they name the filters, the numbers and the best near-miss.
 */
import {
  filterStage,
  INACTIVE,
  PASS,
  NOT_PINNED,
  TOO_FAR,
  TOO_FEW_GPUS,
  WRONG_ARCH,
  WRONG_LABELS,
  type Filters,
} from './schedule-filters';
import type { Candidate, CandidateKind, PlacementRequest, Resources } from './types';

function plural(kind: CandidateKind, n: number): string {
  return n === 1 ? kind : `${kind}s`;
}

function quoteList(items: readonly string[], joiner: 'or' | 'and'): string {
  const q = items.map((s) => JSON.stringify(s));
  if (q.length <= 1) {
    return q.join('');
  }
  return `${q.slice(0, -1).join(', ')} ${joiner} ${q[q.length - 1] as string}`;
}

function formatLabels(keys: readonly string[], values: readonly string[]): string {
  return `{${keys.map((k, i) => `${k}: ${JSON.stringify(values[i])}`).join(', ')}}`;
}

function gpuWord(n: number): string {
  return n === 1 ? 'GPU' : 'GPUs';
}

export function explainFiltered(
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
  if (f.arch !== undefined) {
    wants.push(`arch ${f.arch}`);
  }
  if (f.labelKeys.length > 0) {
    wants.push(`labels ${formatLabels(f.labelKeys, f.labelValues)}`);
  }
  if (f.gpus > 0) {
    wants.push(`at least ${f.gpus} ${gpuWord(f.gpus)}`);
  }
  let sentence = `no active ${kind}`;
  if (pins !== undefined) {
    sentence += ` named ${quoteList([...pins], 'or')}`;
  }
  if (wants.length > 0) {
    sentence += ` with ${wants.join(' and ')}`;
  }
  const near = request.near;
  if (near !== undefined) {
    sentence += ` within ${near.radiusKm} km of (${near.lat}, ${near.long})`;
  }

  const counts = [0, 0, 0, 0, 0, 0, 0];
  for (const c of candidates) {
    counts[filterStage(c, f)]!++;
  }
  const why: string[] = [];
  const add = (stage: number, text: string): void => {
    const n = counts[stage] as number;
    if (n > 0) {
      why.push(`${n} ${text}`);
    }
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

export function explainNoCapacity(
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
    if (filterStage(c, f) !== PASS) {
      continue;
    }
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
  if (first === undefined) {
    return `no active ${kind} passes the filters`;
  }
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
  if (want.gpus > 0) {
    needs += ` and ${want.gpus} ${gpuWord(want.gpus)}`;
  }
  let has = `${closest.cpu}m / ${closest.mem} MB`;
  if (want.gpus > 0) {
    has += ` / ${closest.gpus} ${gpuWord(closest.gpus)}`;
  }
  const where = closest.capped ? ` (its largest node)` : '';
  return (
    `${needs}; most free is ${has} on ${closest.c.name}${where}; none of ${matching} has room ` +
    `(release instances, add capacity or lower the request)`
  );
}

function filtersText(f: Filters): string {
  const parts: string[] = [];
  if (f.pins !== undefined) {
    parts.push(`named ${quoteList([...f.pins], 'or')}`);
  }
  if (f.arch !== undefined) {
    parts.push(`with arch ${f.arch}`);
  }
  if (f.labelKeys.length > 0) {
    parts.push(`with labels ${formatLabels(f.labelKeys, f.labelValues)}`);
  }
  if (f.near !== undefined) {
    parts.push(`within ${f.near.radiusKm} km`);
  }
  return parts.length > 0 ? ` ${parts.join(' ')}` : '';
}
