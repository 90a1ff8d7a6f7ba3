import { Inject, Injectable } from '@nestjs/common';
import { TERMINAL_STATUSES, InstanceStatus, NodeTopics } from '@canopy/schema';
import type { Logger } from 'pino';
import { CLUSTER_LOGGER } from '../common/tokens';
import { NodesService } from '../nodes/nodes.service';
import type { InstanceRecord } from '../persistence/cluster.repository';
import { RootOutbox } from '../root-link/root-outbox';
import { SchedulingService } from '../scheduling/scheduling.service';
import { PlacementBook } from './placement-book';

/**
 * What a silent node's instances become. Nothing that cannot be replaced is dropped (SPEC §10):
 * an instance moves off a lost node only to a node that takes it; one that fits nowhere stays
 * assigned to it (DEAD, saying so) and runs again there, in the same container, when it returns.
 */
@Injectable()
export class NodeLossService {
  private readonly log: Logger;

  constructor(
    @Inject(CLUSTER_LOGGER) logger: Logger,
    private readonly book: PlacementBook,
    private readonly nodes: NodesService,
    private readonly scheduling: SchedulingService,
    private readonly outbox: RootOutbox,
  ) {
    this.log = logger.child({ component: 'node-loss' });
  }

  /**
   * A node went silent. Its instances are reported DEAD, saying why, so the root stops showing them
   * RUNNING; they keep their reservations (the node may be back in a moment, its containers still
   * up), and the node's next report moves them on again.
   */
  nodeLost(nodeId: string): void {
    const name = this.nameOf(nodeId);
    for (const record of this.book.on(nodeId)) {
      if (record.deleting || TERMINAL_STATUSES.has(record.status)) {
        continue;
      }
      this.markDead(record, `node ${name} stopped reporting; waiting for it to come back`);
    }
    this.outbox.resourcesChanged();
  }

  /**
   * A node declared lost: every live instance is placed again under the same key on a node that
   * takes it, and the lost node's sync no longer lists it (it removes the old container when it
   * returns). One that fits nowhere keeps its node and reservation. Finished one-shot and failed
   * instances stay where they were; deletes waiting for the node's answer are done.
   */
  nodeDeclaredLost(nodeId: string): void {
    for (const record of this.book.on(nodeId)) {
      if (record.deleting) {
        this.book.forget(record);
        continue;
      }
      if (TERMINAL_STATUSES.has(record.status) && record.status !== InstanceStatus.DEAD) {
        continue;
      }
      this.moveOff(record, nodeId, false);
    }
    this.outbox.resourcesChanged();
  }

  /** Tries again to move what stayed on lost nodes (capacity may have freed up, a node joined). */
  retryStranded(): void {
    let moved = false;
    for (const record of [...this.book.all()]) {
      const nodeId = record.nodeId;
      if (
        nodeId === undefined ||
        record.deleting ||
        record.status !== InstanceStatus.DEAD ||
        !this.nodes.isLost(nodeId)
      ) {
        continue;
      }
      moved = this.moveOff(record, nodeId, true) || moved;
    }
    if (moved) {
      this.outbox.resourcesChanged();
    }
  }

  /** True when the instance now runs elsewhere. */
  private moveOff(record: InstanceRecord, nodeId: string, quiet: boolean): boolean {
    const { spec } = record;
    this.scheduling.release(spec);
    const placed = this.scheduling.place(spec, this.nodes);
    if (!placed.ok || placed.candidateId === nodeId) {
      if (placed.ok) {
        return false;
      }
      this.scheduling.restore(spec, nodeId);
      if (!quiet) {
        const name = this.nameOf(nodeId);
        this.log.warn(
          { serviceId: spec.serviceId, instance: spec.instanceNumber, nodeId, reason: placed.detail },
          'instance of a lost node fits nowhere else; it stays assigned to the node',
        );
        this.markDead(
          record,
          `node ${name} lost; no other node can take the instance (${placed.detail}); it stays assigned to ${name} and runs again there when the node returns`,
        );
      }
      return false;
    }
    const moved: InstanceRecord = {
      spec,
      nodeId: placed.candidateId,
      status: InstanceStatus.NODE_SCHEDULED,
      observed: {},
      deleting: false,
    };
    this.book.save(moved);
    this.log.warn(
      { serviceId: spec.serviceId, instance: spec.instanceNumber, from: nodeId, to: placed.candidateId },
      'instance moved off a lost node',
    );
    this.book.forward(moved);
    this.book.send(NodeTopics.deploy(placed.candidateId), spec);
    return true;
  }

  private markDead(record: InstanceRecord, detail: string): void {
    record.status = InstanceStatus.DEAD;
    record.observed = { ...record.observed, status_detail: detail };
    this.book.save(record);
    this.book.forward(record);
  }

  private nameOf(nodeId: string): string {
    return this.nodes.get(nodeId)?.name ?? nodeId;
  }
}
