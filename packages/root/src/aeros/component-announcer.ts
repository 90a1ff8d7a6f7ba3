import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { AerosComponentStatus } from '@canopy/schema';
import type { InstancesService } from '../instances/instances.service';
import type { ComponentRecord, InstanceRecord } from '../persistence/records';
import type { Store } from '../persistence/store.port';
import { componentState, toComponentObject, type ComponentState } from './component-model';
import type { ComponentObject, ComponentStatusView } from './components.port';
import type { ComponentStatusSink, IeDirectory } from './ie-directory';

export type ChangeEvent = { type: 'ADDED' | 'MODIFIED' | 'DELETED'; object: ComponentObject };

/**
 * A CR as shown (its status read from the service's instances) and its changes told: to watchers
 * (the Kubernetes watch) and, as aerOS statuses, to the status sink (NGSI-LD), only when they change.
 */
export class ComponentAnnouncer {
  private readonly events = new EventEmitter();
  /** Last status sent per NGSI-LD entity, so only changes go out. */
  private readonly published = new Map<string, string>();
  /** Deleted CRs whose containers are still going: service id → the entity that reports Finished. */
  private readonly retired = new Map<string, { entityId: string; generation: number }>();

  constructor(
    private readonly store: Store,
    private readonly log: Logger,
    private readonly ies: IeDirectory,
    private readonly sink: ComponentStatusSink,
    private readonly instances: InstancesService,
  ) {
    this.events.setMaxListeners(0);
  }

  subscribe(listener: (event: ChangeEvent) => void): () => void {
    this.events.on('change', listener);
    return () => this.events.off('change', listener);
  }

  emit(type: ChangeEvent['type'], object: ComponentObject): void {
    this.events.emit('change', { type, object } satisfies ChangeEvent);
  }

  /** A deleted CR's entity keeps reporting (Removing, then Finished) until its containers are gone. */
  retire(serviceId: string, entityId: string, generation: number): void {
    this.retired.set(serviceId, { entityId, generation });
  }

  async view(record: ComponentRecord): Promise<ComponentObject> {
    return (await this.snapshot(record)).object;
  }

  /** Emits the change to watchers and sends the status on, from one read. */
  async announce(type: ChangeEvent['type'], record: ComponentRecord): Promise<ComponentObject> {
    const { object, state, ie } = await this.snapshot(record);
    this.emit(type, object);
    this.send(record.entityId, state.status, state.status === 'Finished' ? null : ie);
    return object;
  }

  async instanceChanged(instance: InstanceRecord): Promise<void> {
    try {
      const [record] = await this.store.components.find({ serviceId: instance.serviceId });
      if (record) {
        await this.announce('MODIFIED', record);
        return;
      }
      const retired = this.retired.get(instance.serviceId);
      if (!retired) {
        return;
      }
      const state = componentState(await this.instances.listForService(instance.serviceId), retired.generation);
      const status: AerosComponentStatus = state.status === 'Finished' ? 'Finished' : 'Removing';
      this.send(retired.entityId, status, null);
      if (status === 'Finished') {
        this.retired.delete(instance.serviceId);
      }
    } catch (error) {
      this.log.error({ err: error, serviceId: instance.serviceId }, 'aerOS status update failed');
    }
  }

  /** One read of the service and its instances: the CR as shown, and its aerOS status and IE. */
  private async snapshot(
    record: ComponentRecord,
  ): Promise<{ object: ComponentObject; state: ComponentState; ie: string }> {
    const service = await this.store.services.get(record.serviceId);
    const instances = await this.instances.listForService(record.serviceId);
    const state = componentState(instances, service?.generation ?? 0);
    const ie = await this.ieOf(record, state.instance);
    return { object: toComponentObject(record, this.statusOf(record, state, ie)), state, ie };
  }

  /** The IE the component's status is about: during a move, the old one until the new one runs. */
  private async ieOf(record: ComponentRecord, instance: InstanceRecord | undefined): Promise<string> {
    const node = instance?.nodeName;
    if (node === undefined || node === record.hostname) {
      return record.ieId;
    }
    const found = await this.ies.resolveInfrastructureElement({ hostname: node });
    return found.ok ? found.ie.id : record.ieId;
  }

  private statusOf(record: ComponentRecord, state: ComponentState, ie: string): ComponentStatusView {
    const i = state.instance;
    return {
      serviceComponentStatus: state.status,
      infrastructureElement: ie,
      hostname: i?.nodeName ?? record.hostname,
      canopyStatus: i?.status ?? 'REQUESTED',
      detail: i?.statusDetail ?? 'waiting to be placed',
      serviceId: record.serviceId,
      applicationId: record.applicationId,
      hostPorts: i?.hostPorts ?? [],
      observedGeneration: record.generation,
    };
  }

  private send(entityId: string, status: AerosComponentStatus, ie: string | null): void {
    const key = `${status}|${ie ?? ''}`;
    if (this.published.get(entityId) === key) {
      return;
    }
    this.published.set(entityId, key);
    this.sink.componentStatus(entityId, status, ie);
  }
}
