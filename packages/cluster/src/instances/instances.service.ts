import { Inject, Injectable } from '@nestjs/common';
import {
  InstanceStatus,
  NodeTopics,
  isStatusAdvance,
  type ClusterResourcesDto,
  type InstanceKey,
  type InstanceReportDto,
  type InstanceSpecDto,
  type SyncCommand,
} from '@canopy/schema';
import type { Logger } from 'pino';
import { CLUSTER_LOGGER } from '../common/tokens';
import { NodesService } from '../nodes/nodes.service';
import { ClusterRepository, type InstanceRecord, type ObservedState } from '../persistence/cluster.repository';
import { RootOutbox } from '../root-link/root-outbox';
import { aggregateResources, failureStatus, toPolicy } from '../scheduling/placement';
import { SchedulingService } from '../scheduling/scheduling.service';
import { decideDelete, decideDeploy, keyOf, planConvergence, slotOf } from './convergence.planner';
import { PlacementBook } from './placement-book';

/**
 * Which node runs which instance. Commands from the root (deploy, delete, full desired set) and
 * statuses from nodes meet here. Every state change is persisted before anything is sent, and all
 * placement work runs synchronously, so concurrent deploys never over-commit a node.
 */
@Injectable()
export class InstancesService {
  private readonly log: Logger;
  /** Root commands are numbered; a slot remembers its latest, so an older full set never undoes it. */
  private commandSeq = 0;
  private readonly commandedAt = new Map<string, number>();

  constructor(
    @Inject(CLUSTER_LOGGER) logger: Logger,
    private readonly repo: ClusterRepository,
    private readonly nodes: NodesService,
    private readonly scheduling: SchedulingService,
    private readonly book: PlacementBook,
    private readonly outbox: RootOutbox,
  ) {
    this.log = logger.child({ component: 'instances' });
  }

  /** Reads placements back after a restart and rebuilds the reservations they hold. */
  load(): void {
    this.book.load();
  }

  /** Idempotent by key: the same key again is a no-op, a higher generation replaces, a lower one is ignored. */
  deploy(spec: InstanceSpecDto): void {
    const current = this.book.get(spec);
    const decision = decideDeploy(current, spec);
    if (decision.action === 'ignore') {
      if (decision.reason === 'stale') {
        this.log.debug({ serviceId: spec.serviceId, generation: spec.generation }, 'stale deploy ignored');
      }
      return;
    }
    const replacedOn = decision.replacing;
    if (replacedOn !== undefined && current !== undefined) {
      this.scheduling.release(current.spec);
    }

    if (spec.placementPolicy !== undefined && toPolicy(spec.placementPolicy) === undefined) {
      this.log.warn(
        { serviceId: spec.serviceId, placementPolicy: spec.placementPolicy, policy: this.scheduling.policyFor(spec) },
        'unknown placement policy, using the default',
      );
    }
    const placed = this.scheduling.place(spec, this.nodes);
    if (!placed.ok) {
      const status = failureStatus(placed.reason);
      const record: InstanceRecord = { spec, status, observed: { status_detail: placed.detail }, deleting: false };
      this.book.save(record);
      if (replacedOn) {
        this.book.sendDelete(replacedOn.nodeId, replacedOn.key);
      }
      this.log.warn(
        { serviceId: spec.serviceId, instance: spec.instanceNumber, status, detail: placed.detail },
        'instance not placed',
      );
      if (current?.status !== status || current.observed.status_detail !== placed.detail) {
        this.book.forward(record);
      }
      if (replacedOn) {
        this.outbox.resourcesChanged();
      }
      return;
    }

    const nodeId = placed.candidateId;
    const record: InstanceRecord = {
      spec,
      nodeId,
      status: InstanceStatus.NODE_SCHEDULED,
      observed: {},
      deleting: false,
    };
    this.book.save(record);
    this.log.info(
      { serviceId: spec.serviceId, instance: spec.instanceNumber, generation: spec.generation, nodeId },
      'instance placed',
    );
    this.book.forward(record);
    // On the same node the higher generation replaces the container by itself; elsewhere the old one must go.
    if (replacedOn && replacedOn.nodeId !== nodeId) {
      this.book.sendDelete(replacedOn.nodeId, replacedOn.key);
    }
    this.book.send(NodeTopics.deploy(nodeId), spec);
    this.outbox.resourcesChanged();
  }

  /** A deploy command from the root (as opposed to one step of converging on a full set). */
  deployCommanded(spec: InstanceSpecDto): void {
    this.commandedAt.set(slotOf(spec), ++this.commandSeq);
    this.deploy(spec);
  }

  /** A delete command from the root. */
  deleteCommanded(key: InstanceKey): void {
    this.commandedAt.set(slotOf(key), ++this.commandSeq);
    this.delete(key);
  }

  /** Taken when a full desired set is asked for; `reconcile` is given it back with the answer. */
  commandMark(): number {
    return this.commandSeq;
  }

  /** Removes an instance. The reservation stays until the node confirms UNDEPLOYED. */
  delete(key: InstanceKey): void {
    const current = this.book.get(key);
    const decision = decideDelete(current, key, (nodeId) => this.nodes.isActive(nodeId));
    if (decision.action === 'gone') {
      this.outbox.report({ ...keyOf(key), status: InstanceStatus.UNDEPLOYED });
      return;
    }
    if (decision.action === 'ignore' || current === undefined) {
      return;
    }
    if (decision.action === 'forget') {
      if (decision.tellNode !== undefined) {
        this.book.sendDelete(decision.tellNode, keyOf(current.spec));
      }
      this.book.forget(current);
      return;
    }
    current.deleting = true;
    this.repo.saveInstance(current);
    this.log.info(
      { serviceId: key.serviceId, instance: key.instanceNumber, nodeId: decision.nodeId },
      'instance deleting',
    );
    this.book.sendDelete(decision.nodeId, keyOf(current.spec));
  }

  /**
   * Converges on the root's full desired set: what is desired and missing (or unplaced) is deployed,
   * what is here and not desired is deleted. `allowDeletes` is false when part of the set could not
   * be read, so a malformed entry never removes a running instance. `askedAt` is the command mark
   * taken when the set was asked for: a slot commanded since is newer than the set and kept as is.
   */
  reconcile(desired: readonly InstanceSpecDto[], allowDeletes = true, askedAt = this.commandSeq): void {
    const newer = new Set<string>();
    for (const [slot, seq] of this.commandedAt) {
      if (seq > askedAt) {
        newer.add(slot);
      } else {
        // Syncs run one at a time, so no later answer can be older than this mark.
        this.commandedAt.delete(slot);
      }
    }
    for (const step of planConvergence(this.book.all(), desired, allowDeletes, newer)) {
      if (step.kind === 'deploy') {
        this.deploy(step.spec);
      } else {
        this.delete(step.key);
      }
    }
  }

  /** A status the node reported, through `job` (on change) or `jobs/resources` (periodic full report). */
  nodeReported(nodeId: string, report: InstanceReportDto): void {
    const record = this.book.get(report);
    // Another generation, or a node that no longer runs this slot: stale news.
    if (!record || record.spec.generation !== report.generation || record.nodeId !== nodeId) {
      return;
    }
    if (report.status === InstanceStatus.UNDEPLOYED) {
      if (!record.deleting) {
        this.log.warn({ serviceId: report.serviceId, nodeId }, 'node dropped an instance on its own');
      }
      this.book.forget(record);
      return;
    }
    if (record.deleting) {
      return;
    }
    const observed: ObservedState = {
      status_detail: report.status_detail,
      containerId: report.containerId ?? record.observed.containerId,
      hostPorts: report.hostPorts ?? record.observed.hostPorts,
      at: report.at,
      restarts: report.restarts ?? record.observed.restarts,
    };
    const statusChanged = record.status !== report.status;
    if (statusChanged && !isStatusAdvance(record.status, report.status)) {
      return;
    }
    const detailsChanged =
      observed.containerId !== record.observed.containerId ||
      JSON.stringify(observed.hostPorts) !== JSON.stringify(record.observed.hostPorts) ||
      observed.status_detail !== record.observed.status_detail ||
      observed.restarts !== record.observed.restarts;
    if (!statusChanged && !detailsChanged) {
      return;
    }
    record.status = report.status;
    record.observed = observed;
    this.repo.saveInstance(record);
    this.log.info(
      { serviceId: report.serviceId, instance: report.instanceNumber, nodeId, status: report.status },
      'instance status',
    );
    this.book.forward(record);
  }

  /** A node's periodic full report: anything it was asked to delete and no longer lists is gone. */
  nodeFullReport(nodeId: string, reports: readonly InstanceReportDto[]): void {
    for (const r of reports) {
      this.nodeReported(nodeId, r);
    }
    const listed = new Set(
      reports.filter((r) => r.status !== InstanceStatus.UNDEPLOYED).map((r) => `${slotOf(r)}@${r.generation}`),
    );
    for (const record of this.book.on(nodeId)) {
      if (record.deleting && !listed.has(`${slotOf(record.spec)}@${record.spec.generation}`)) {
        this.book.forget(record);
      }
    }
  }

  /** Sends a node its full desired set; the node removes anything not listed. */
  syncNode(nodeId: string): void {
    const command: SyncCommand = {
      instances: this.book
        .on(nodeId)
        .filter((r) => !r.deleting)
        .map((r) => r.spec),
    };
    this.book.send(NodeTopics.sync(nodeId), command);
  }

  /** The periodic resync's share: each of these nodes that is active gets its full desired set. */
  syncNodes(nodeIds: readonly string[]): void {
    for (const nodeId of nodeIds) {
      if (this.nodes.isActive(nodeId)) {
        this.syncNode(nodeId);
      }
    }
  }

  /** Everything this cluster knows, as reports for the root's sync. */
  reports(): InstanceReportDto[] {
    return [...this.book.all()].map((r) => this.book.toReport(r));
  }

  /** Aggregates for the root's scheduler, plus every node as an aerOS IE (SPEC §5). */
  resources(): ClusterResourcesDto {
    return { ...this.capacity(), infrastructureElements: this.nodes.infrastructureElements() };
  }

  /** The aggregates alone (`/metrics`): without building up to 1,000 IE documents per call. */
  capacity(): ReturnType<typeof aggregateResources> {
    return aggregateResources(this.nodes, this.scheduling.reserved);
  }
}
