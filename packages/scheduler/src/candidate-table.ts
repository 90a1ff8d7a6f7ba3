import type { Candidate, Resources } from './types';

function copyResources(r: Resources): Resources {
  return Object.freeze({ cpuMillis: r.cpuMillis, memoryMb: r.memoryMb, gpus: r.gpus });
}

/**
 * A frozen, column-laid-out copy of a candidates list, for callers that place many instances
 * against the same candidates (a cluster with thousands of nodes, between heartbeats).
 *
 * Why it exists: with candidates as plain objects, a decision reads two objects per candidate
 * scattered over the heap, and at 10,000 candidates those cache misses are most of the cost.
 * Here the numbers a decision needs sit in dense typed arrays. Because it is a copy, a table never
 * goes stale behind the scheduler's back: build a new one when the candidates change (O(n)).
 * `ReservationLedger.place` accepts a table wherever it accepts a candidates array and decides
 * exactly the same way.
 */
export class CandidateTable {
  /** Private, frozen copies of the candidates (filters and failure details read these). */
  readonly candidates: readonly Candidate[];
  readonly ids: readonly string[];
  /** @internal 1 = active. */
  readonly active: Uint8Array;
  /** @internal allocatable */
  readonly cpu: Float64Array;
  /** @internal */
  readonly mem: Float64Array;
  /** @internal */
  readonly gpu: Float64Array;
  /** @internal `largestNodeFree`, +Infinity when absent. */
  readonly largestCpu: Float64Array;
  /** @internal */
  readonly largestMem: Float64Array;
  /** @internal */
  readonly largestGpu: Float64Array;
  /** Whether any candidate carries `largestNodeFree` (root tier); when none does, those columns are skipped. */
  readonly hasLargestNodeFree: boolean;
  /** @internal `netRxBps`, 0 when unknown. */
  readonly netRx: Float64Array;
  /** @internal `cpuPercent`, 0 when unknown. */
  readonly cpuPercent: Float64Array;

  constructor(candidates: readonly Candidate[]) {
    const n = candidates.length;
    this.active = new Uint8Array(n);
    this.cpu = new Float64Array(n);
    this.mem = new Float64Array(n);
    this.gpu = new Float64Array(n);
    this.largestCpu = new Float64Array(n);
    this.largestMem = new Float64Array(n);
    this.largestGpu = new Float64Array(n);
    this.netRx = new Float64Array(n);
    this.cpuPercent = new Float64Array(n);
    const copies: Candidate[] = [];
    let hasLargest = false;
    for (let i = 0; i < n; i++) {
      const c = candidates[i] as Candidate;
      const copy: Candidate = {
        id: c.id,
        name: c.name,
        active: c.active,
        allocatable: copyResources(c.allocatable),
        architectures: Object.freeze([...c.architectures]) as string[],
        labels: Object.freeze({ ...c.labels }),
      };
      if (c.largestNodeFree !== undefined) {
        copy.largestNodeFree = copyResources(c.largestNodeFree);
        hasLargest = true;
      }
      if (c.location !== undefined) {
        copy.location = Object.freeze({ lat: c.location.lat, long: c.location.long });
      }
      if (c.netRxBps !== undefined) {
        copy.netRxBps = c.netRxBps;
      }
      if (c.cpuPercent !== undefined) {
        copy.cpuPercent = c.cpuPercent;
      }
      copies.push(Object.freeze(copy));
      this.active[i] = c.active ? 1 : 0;
      this.cpu[i] = c.allocatable.cpuMillis;
      this.mem[i] = c.allocatable.memoryMb;
      this.gpu[i] = c.allocatable.gpus;
      this.largestCpu[i] = c.largestNodeFree?.cpuMillis ?? Infinity;
      this.largestMem[i] = c.largestNodeFree?.memoryMb ?? Infinity;
      this.largestGpu[i] = c.largestNodeFree?.gpus ?? Infinity;
      this.netRx[i] = c.netRxBps ?? 0;
      this.cpuPercent[i] = c.cpuPercent ?? 0;
    }
    this.hasLargestNodeFree = hasLargest;
    this.candidates = Object.freeze(copies);
    this.ids = Object.freeze(copies.map((c) => c.id));
  }

  get length(): number {
    return this.candidates.length;
  }
}
