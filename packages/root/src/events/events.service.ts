import { Inject, Injectable } from '@nestjs/common';
import { NotFoundError } from '@canopy/schema';
import { isAdmin, type Principal } from '../auth/principal';
import { CLOCK, type Clock } from '../common/tokens';
import { InstancesService } from '../instances/instances.service';
import type { InstanceRecord, ServiceRecord } from '../persistence/records';
import { STORE, type Store } from '../persistence/store.port';
import { STORE_CHANGES, type StoreChanges } from '../persistence/store-changes';
import { EventBus, type CanopyEvent, type Viewer } from './event-bus';

/**
 * Turns instance and service writes into user-facing events. Instance changes arrive through
 * `InstancesService.onInstanceChange` (after the write is visible); services are written from
 * several features (applications, services, aerOS) and new instances are inserted directly, so
 * those come from the store's change hook ({@link StoreChanges}). An event is published after the
 * write returned; a write inside a transaction that later rolls back can therefore still be
 * announced, which a client heals by reading the REST view.
 */
@Injectable()
export class EventsService {
  readonly bus = new EventBus();
  /** Last announced (status, detail) per instance, so repeated writes of the same state stay quiet. */
  private readonly lastInstance = new Map<string, string>();
  /** Last announced (generation, replicas) per service: `nextInstance` bumps are not news. */
  private readonly lastService = new Map<string, string>();

  constructor(
    @Inject(STORE) private readonly store: Store,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(STORE_CHANGES) changes: StoreChanges,
    instances: InstancesService,
  ) {
    instances.onInstanceChange((record) => this.instanceWritten(record));
    changes.on('services', (c) => this.serviceWritten(c.action, c.record));
    // A new instance is inserted directly (REQUESTED), not through a status transition.
    changes.on('instances', (c) => {
      if (c.action === 'created') {
        this.instanceWritten(c.record);
      }
    });
  }

  /** The viewer for a caller, checking that a `serviceId` filter names a service it may see. */
  async viewerFor(user: Principal, serviceId?: string): Promise<Viewer> {
    const viewer: Viewer = { userId: user.userId, admin: isAdmin(user) };
    if (serviceId === undefined || serviceId === '') {
      return viewer;
    }
    const service = await this.store.services.get(serviceId);
    if (!service || (!viewer.admin && service.ownerId !== user.userId)) {
      throw new NotFoundError('service', serviceId);
    }
    return { ...viewer, serviceId };
  }

  subscribe(viewer: Viewer, deliver: (event: CanopyEvent) => void): () => void {
    return this.bus.subscribe(viewer, deliver);
  }

  private instanceWritten(record: InstanceRecord): void {
    const key = `${record.status}\u0000${record.statusDetail}`;
    if (this.lastInstance.get(record.id) === key) {
      return;
    }
    this.lastInstance.set(record.id, key);
    if (record.desired === 'deleted' && record.status === 'UNDEPLOYED') {
      this.lastInstance.delete(record.id);
    }
    const last = record.history[record.history.length - 1];
    this.bus.publish({
      ownerId: record.ownerId,
      event: {
        type: 'instance',
        service_id: record.serviceId,
        instance_number: record.instanceNumber,
        status: record.status,
        detail: record.statusDetail,
        ...(record.nodeName !== undefined || record.nodeId !== undefined
          ? { node: record.nodeName ?? record.nodeId }
          : {}),
        ...(record.clusterId !== undefined ? { cluster_id: record.clusterId } : {}),
        at: last?.status === record.status ? last.at : this.clock.now().toISOString(),
      },
    });
  }

  private serviceWritten(action: 'created' | 'updated' | 'deleted', record: ServiceRecord): void {
    const key = `${record.generation}\u0000${record.replicas}`;
    if (action === 'updated' && this.lastService.get(record.id) === key) {
      return;
    }
    if (action === 'deleted') {
      this.lastService.delete(record.id);
    } else {
      this.lastService.set(record.id, key);
    }
    this.bus.publish({
      ownerId: record.ownerId,
      event: {
        type: 'service',
        action,
        service_id: record.id,
        application_id: record.applicationId,
        name: record.sla.microservice_name,
        replicas: record.replicas,
        generation: record.generation,
        at: this.clock.now().toISOString(),
      },
    });
  }
}
