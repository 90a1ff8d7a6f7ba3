import { Inject, Injectable } from '@nestjs/common';
import { instanceKeyString, parseLatLong, type InstanceKey, type InstanceSpecDto } from '@canopy/schema';
import {
  CandidateTable,
  ReservationLedger,
  type Decision,
  type FailureReason,
  type GeoPoint,
  type Policy,
  type Resources,
} from '@canopy/scheduler';
import { Clock } from '../common/clock';
import { CLUSTER_CONFIG } from '../common/tokens';
import type { ClusterConfig } from '../config/cluster-config';
import type { NodeView } from '../nodes/nodes.service';
import { requestOf, toCandidate, toPlacementRequest, toPolicy } from './placement';

/** How a placement ended, as the metrics label it. */
export const PLACEMENT_OUTCOMES = ['placed', 'no_capacity', 'filtered', 'no_candidates'] as const;
export type PlacementOutcome = (typeof PLACEMENT_OUTCOMES)[number];
const OUTCOME_OF: Record<FailureReason, PlacementOutcome> = {
  'no-capacity': 'no_capacity',
  filtered: 'filtered',
  'no-candidates': 'no_candidates',
};

/**
 * How often, at most, a placement rebuilds the node table only because live usage moved. Usage
 * (CPU busy, network receive rate) only breaks ties and orders `most-traffic`, so a second-old
 * figure is as good as a fresh one, and with thousands of nodes beating every 2 s a rebuild per
 * heartbeat would cost more than the placements. Measured here (2 cores, Node 20): a rebuild takes
 * ~1 ms at 1,000 nodes, ~20 ms at 10,000 and ~500 ms at 100,000, so the period also stretches to
 * {@link USAGE_REFRESH_FACTOR} times the last rebuild: usage refreshes cost at most ~2% of a core.
 */
export const USAGE_REFRESH_MS = 1000;
export const USAGE_REFRESH_FACTOR = 50;

/** The node registry as placement reads it (`NodesService` is one). */
export interface NodeSource {
  /** Changes when the node set, an advertisement or a node's liveness changes. */
  readonly topologyVersion: number;
  /** Changes on every heartbeat. */
  readonly usageVersion: number;
  list(): NodeView[];
  isActive(nodeId: string): boolean;
}

/**
 * Node placement with reservations. Everything here is synchronous on purpose: a burst of deploys
 * arriving together is placed one after another, each seeing the reservations of the previous one
 * (`ReservationLedger.place` decides and reserves in one step).
 */
@Injectable()
export class SchedulingService {
  private readonly ledger = new ReservationLedger();
  private readonly defaultPolicy: Policy;
  private readonly clusterLocation: GeoPoint | undefined;
  private table: CandidateTable | undefined;
  private tableTopology = -1;
  private tableUsage = -1;
  private tableBuiltAt = 0;
  private usageRefreshMs = USAGE_REFRESH_MS;
  private rebuilds = 0;
  private readonly outcomes = new Map<PlacementOutcome, number>(PLACEMENT_OUTCOMES.map((o) => [o, 0]));

  constructor(
    @Inject(CLUSTER_CONFIG) config: Pick<ClusterConfig, 'placementPolicy' | 'clusterLocation'>,
    private readonly clock: Clock,
  ) {
    this.defaultPolicy = config.placementPolicy;
    this.clusterLocation = parseLatLong(config.clusterLocation);
  }

  /** The policy a spec gets: its own (any accepted spelling), else this cluster's default. */
  policyFor(spec: Pick<InstanceSpecDto, 'placementPolicy'>): Policy {
    return toPolicy(spec.placementPolicy) ?? this.defaultPolicy;
  }

  /**
   * Chooses a node and reserves the request on it when one fits. With a {@link NodeSource} the
   * nodes are read through a cached {@link CandidateTable}; a plain list is read as given.
   */
  place(spec: InstanceSpecDto, nodes: NodeSource | readonly NodeView[]): Decision {
    const key = instanceKeyString(spec);
    // An instance placed already keeps its node: that answer is no new placement to count.
    const fresh = !this.ledger.has(key);
    const decision = this.decide(key, spec, nodes);
    if (fresh) {
      const outcome: PlacementOutcome = decision.ok ? 'placed' : OUTCOME_OF[decision.reason];
      this.outcomes.set(outcome, (this.outcomes.get(outcome) ?? 0) + 1);
    }
    return decision;
  }

  /** Placement decisions since start, by outcome (`canopy_cluster_placements_total`). */
  placementCounts(): ReadonlyMap<PlacementOutcome, number> {
    return this.outcomes;
  }

  /** Re-creates a reservation for a placement read back from storage after a restart. */
  restore(spec: InstanceSpecDto, nodeId: string): void {
    this.ledger.reserve(instanceKeyString(spec), nodeId, requestOf(spec));
  }

  release(key: InstanceKey): void {
    this.ledger.release(instanceKeyString(key));
  }

  reserved = (nodeId: string): Resources => this.ledger.reserved(nodeId);

  /** How many times the node table was built (observability and tests). */
  get tableRebuilds(): number {
    return this.rebuilds;
  }

  private decide(key: string, spec: InstanceSpecDto, nodes: NodeSource | readonly NodeView[]): Decision {
    const request = toPlacementRequest(spec);
    const policy = this.policyFor(spec);
    if (isNodeList(nodes)) {
      return this.ledger.place(
        key,
        nodes.map((n) => toCandidate(n, this.clusterLocation)),
        request,
        policy,
        { kind: 'node' },
      );
    }
    const decision = this.ledger.place(key, this.tableFor(nodes), request, policy, { kind: 'node' });
    if (!decision.ok || nodes.isActive(decision.candidateId)) {
      return decision;
    }
    // The table said active, but the node fell silent since the last liveness check: decide again
    // on a fresh table, which reads liveness as of now.
    this.ledger.release(key);
    return this.ledger.place(key, this.tableFor(nodes, true), request, policy, { kind: 'node' });
  }

  private tableFor(source: NodeSource, force = false): CandidateTable {
    const topology = source.topologyVersion;
    const usage = source.usageVersion;
    const now = this.clock.now();
    const stale =
      force ||
      this.table === undefined ||
      topology !== this.tableTopology ||
      (usage !== this.tableUsage && now - this.tableBuiltAt >= this.usageRefreshMs);
    if (stale || this.table === undefined) {
      this.table = new CandidateTable(source.list().map((n) => toCandidate(n, this.clusterLocation)));
      this.tableTopology = topology;
      this.tableUsage = usage;
      this.tableBuiltAt = now;
      this.usageRefreshMs = Math.max(USAGE_REFRESH_MS, USAGE_REFRESH_FACTOR * (this.clock.now() - now));
      this.rebuilds++;
    }
    return this.table;
  }
}

function isNodeList(nodes: NodeSource | readonly NodeView[]): nodes is readonly NodeView[] {
  return Array.isArray(nodes);
}
