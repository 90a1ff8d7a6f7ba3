/**
 * The placement contract shared by the root (candidates = clusters) and the cluster (candidates =
 * nodes). Everything here is plain data: the scheduler is a pure function of it (SPEC §6).
 */

/** Amounts of the schedulable resources. CPU in millicores (1 vCPU = 1000), memory in MB. */
export interface Resources {
  cpuMillis: number;
  memoryMb: number;
  gpus: number;
}

export interface GeoPoint {
  lat: number;
  long: number;
}

/** A place work can go: a node (cluster tier) or a cluster (root tier). */
export interface Candidate {
  /** Stable id (node id or cluster id). */
  id: string;
  /** Human name (node name or cluster name); `direct` pins match id or name. */
  name: string;
  /** Whether it is live (heartbeat within the liveness window). Inactive candidates never get work. */
  active: boolean;
  /** What the candidate may hand out in total (before reservations). */
  allocatable: Resources;
  /**
   * Root tier only: what the largest single node of the cluster can still take, as the cluster
   * last reported it (already net of that cluster's own reservations). A request must fit here too.
   */
  largestNodeFree?: Resources;
  /** CPU architectures available (`amd64`, `arm64`, ...); a node has one, a cluster may have several. */
  architectures: string[];
  labels: Record<string, string>;
  location?: GeoPoint;
  /** Live usage: recent network receive rate in bytes/s (for `most-traffic`) and CPU busy percent (tie-breaks). */
  netRxBps?: number;
  cpuPercent?: number;
}

/** What one instance asks for, and the filters it carries. */
export interface PlacementRequest {
  requests: Resources;
  /** Required architecture, if any. */
  arch?: string;
  /** Every label here must be present on the candidate with the same value. */
  labels?: Record<string, string>;
  /** `direct` pin: only these candidates (matched by id or name). Undefined = no pin. */
  pinned?: string[];
  /** Geographic filter: the candidate's location must lie within `radiusKm` of this point. */
  near?: GeoPoint & { radiusKm: number };
  /**
   * Soft anti-affinity: how many instances of the same service each candidate (by id) already
   * holds. Among the candidates that pass every filter and have room, one holding fewer wins before
   * the policy's own order is asked; it never makes a candidate infeasible, so replicas still pack
   * onto one candidate when nothing else fits. Absent or empty: no preference.
   */
  spread?: ReadonlyMap<string, number>;
}

export type Policy = 'best-fit' | 'worst-fit' | 'first-fit' | 'most-traffic';

/**
 * Why nothing was chosen. `filtered`: no candidate passed the filters (pin, arch, labels, geo,
 * liveness). `no-capacity`: some passed the filters but none has room.
 */
export type FailureReason = 'no-candidates' | 'filtered' | 'no-capacity';

export type Decision =
  | { ok: true; candidateId: string }
  | { ok: false; reason: FailureReason; /** A sentence a person can act on. */ detail: string };

/** What the candidates are, so failure details say "node" at the cluster tier and "cluster" at the root. */
export type CandidateKind = 'node' | 'cluster' | 'candidate';

/** Optional knobs of `schedule` / `ReservationLedger.place`; leaving them out changes no decision. */
export interface ScheduleOptions {
  /** Noun used in failure details. Default `candidate`. */
  kind?: CandidateKind;
}
