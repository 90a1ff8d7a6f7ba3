import { Inject, Injectable } from '@nestjs/common';
import {
  InstanceStatus,
  NodeTopics,
  type DeleteCommand,
  type InstanceKey,
  type InstanceReportDto,
} from '@canopy/schema';
import type { Logger } from 'pino';
import { CLUSTER_LOGGER } from '../common/tokens';
import { MessageBus } from '../mqtt/message-bus.port';
import { NodesService } from '../nodes/nodes.service';
import { ClusterRepository, type InstanceRecord } from '../persistence/cluster.repository';
import { RootOutbox } from '../root-link/root-outbox';
import { SchedulingService } from '../scheduling/scheduling.service';
import { keyOf, slotOf } from './convergence.planner';
import { toInstanceReport } from './instance-report';

/**
 * The cluster's placements (one record per slot, persisted on every change) and the ways a change
 * leaves the cluster: up to the root through the outbox, down to a node over MQTT. Shared by the
 * services that decide (root commands, node reports, node loss), so each stays about one thing.
 */
@Injectable()
export class PlacementBook {
  private readonly log: Logger;
  private readonly records = new Map<string, InstanceRecord>();

  constructor(
    @Inject(CLUSTER_LOGGER) logger: Logger,
    private readonly repo: ClusterRepository,
    private readonly nodes: NodesService,
    private readonly scheduling: SchedulingService,
    private readonly bus: MessageBus,
    private readonly outbox: RootOutbox,
  ) {
    this.log = logger.child({ component: 'instances' });
  }

  /** Reads placements back after a restart and rebuilds the reservations they hold. */
  load(): void {
    for (const record of this.repo.listInstances()) {
      this.records.set(slotOf(record.spec), record);
      if (record.nodeId !== undefined && this.nodes.get(record.nodeId)) {
        this.scheduling.restore(record.spec, record.nodeId);
      }
    }
    this.log.info({ instances: this.records.size }, 'placements loaded');
  }

  get(key: InstanceKey): InstanceRecord | undefined {
    return this.records.get(slotOf(key));
  }

  all(): IterableIterator<InstanceRecord> {
    return this.records.values();
  }

  /** A copy, for loops that change the book as they go. */
  on(nodeId: string): InstanceRecord[] {
    return [...this.records.values()].filter((r) => r.nodeId === nodeId);
  }

  /** Stores (and persists) a new or changed record. */
  save(record: InstanceRecord): void {
    this.records.set(slotOf(record.spec), record);
    this.repo.saveInstance(record);
  }

  /** Drops a record for good: its reservation goes and the root hears UNDEPLOYED. */
  forget(record: InstanceRecord): void {
    if (record.nodeId !== undefined) {
      this.scheduling.release(record.spec);
    }
    this.records.delete(slotOf(record.spec));
    this.repo.deleteInstance(record.spec.serviceId, record.spec.instanceNumber);
    this.log.info({ serviceId: record.spec.serviceId, instance: record.spec.instanceNumber }, 'instance undeployed');
    this.outbox.report({ ...this.toReport(record), status: InstanceStatus.UNDEPLOYED });
    this.outbox.resourcesChanged();
  }

  /** Tells the root about the record as it is now. */
  forward(record: InstanceRecord): void {
    this.outbox.report(this.toReport(record));
  }

  toReport(record: InstanceRecord): InstanceReportDto {
    return toInstanceReport(record, record.nodeId !== undefined ? this.nodes.get(record.nodeId) : undefined);
  }

  sendDelete(nodeId: string, key: InstanceKey): void {
    const command: DeleteCommand = keyOf(key);
    this.send(NodeTopics.delete(nodeId), command);
  }

  send(topic: string, payload: object): void {
    void this.bus.publish(topic, payload).catch((err: unknown) => {
      // The periodic sync re-sends the node's whole desired set, so a lost command heals itself.
      this.log.warn({ topic, err: err instanceof Error ? err.message : String(err) }, 'mqtt publish failed');
    });
  }
}
