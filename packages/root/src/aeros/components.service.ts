import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { Mutex } from 'async-mutex';
import type { Logger } from 'pino';
import {
  AEROS_KIND_INFO,
  AerosServiceComponent,
  SlaMicroservice,
  validateInput,
  type AerosComponentStatus,
  type AerosKind,
  type SlaDescriptor,
  ConflictError,
  NotFoundError,
  StaleVersionError,
  ValidationFailedError,
} from '@canopy/schema';
import { ApplicationsService } from '../applications/applications.service';
import type { Principal } from '../auth/principal';
import { LOGGER } from '../common/tokens';
import { InstancesService } from '../instances/instances.service';
import type { ComponentRecord, InstanceRecord } from '../persistence/records';
import { STORE, type Store } from '../persistence/store.port';
import { ServicesService } from '../services/services.service';
import {
  applicationOf,
  componentState,
  entityIdOf,
  mergePatch,
  microserviceOf,
  needsRecreate,
  restoreSecrets,
  slaName,
  toComponentObject,
  type ComponentState,
  type Pin,
} from './component-model';
import type { ComponentObject, ComponentsPort, ComponentStatusView } from './components.port';
import { COMPONENT_STATUS_SINK, IE_DIRECTORY, type ComponentStatusSink, type IeDirectory } from './ie-directory';

type ChangeEvent = { type: 'ADDED' | 'MODIFIED' | 'DELETED'; object: ComponentObject };

function recordId(kind: AerosKind, namespace: string, name: string): string {
  return `${AEROS_KIND_INFO[kind].plural}/${namespace}/${name}`;
}

/**
 * aerOS custom resources as Canopy services (SPEC §5): each CR is one service of one replica,
 * pinned to the IE its `selectedIE` names, inside the application of its `part-of` label. The LLO
 * API, the Kubernetes surface and `/hlo_al` all go through here, so they accept and refuse alike.
 */
@Injectable()
export class ComponentsService implements ComponentsPort, OnModuleInit {
  /** Create, replace and delete run one at a time: they find-or-create applications and names. */
  private readonly writes = new Mutex();
  private readonly events = new EventEmitter();
  /** Last status sent per NGSI-LD entity, so only changes go out. */
  private readonly published = new Map<string, string>();
  /** Deleted CRs whose containers are still going: service id → the entity that reports Finished. */
  private readonly retired = new Map<string, { entityId: string; generation: number }>();

  constructor(
    @Inject(STORE) private readonly store: Store,
    @Inject(LOGGER) private readonly log: Logger,
    @Inject(IE_DIRECTORY) private readonly ies: IeDirectory,
    @Inject(COMPONENT_STATUS_SINK) private readonly sink: ComponentStatusSink,
    private readonly applications: ApplicationsService,
    private readonly services: ServicesService,
    private readonly instances: InstancesService,
  ) {
    this.events.setMaxListeners(0);
  }

  onModuleInit(): void {
    this.instances.onInstanceChange((instance) => void this.instanceChanged(instance));
  }

  async create(user: Principal, body: unknown, namespace?: string): Promise<ComponentObject> {
    const cr = this.validate(body);
    const ns = this.namespaceOf(cr, namespace);
    const pin = await this.resolve(cr);
    const record = await this.writes.runExclusive(async () => {
      const id = recordId(cr.kind, ns, cr.metadata.name);
      if (await this.store.components.get(id)) {
        throw new ConflictError(
          `${AEROS_KIND_INFO[cr.kind].plural} "${cr.metadata.name}" already exists`,
          [{ path: 'metadata.name', message: `a ${cr.kind} named ${cr.metadata.name} exists in namespace ${ns}` }],
          'COMPONENT_EXISTS',
        );
      }
      const { applicationId, serviceId } = await this.createService(user, cr, ns, pin);
      return this.store.components.insert({
        id,
        ownerId: user.userId,
        kind: cr.kind,
        namespace: ns,
        name: cr.metadata.name,
        uid: randomUUID(),
        generation: 1,
        labels: cr.metadata.labels ?? {},
        annotations: cr.metadata.annotations ?? {},
        spec: plain(cr.spec),
        applicationId,
        serviceId,
        entityId: entityIdOf(cr, ns),
        ...pinFields(pin),
      });
    });
    this.log.info({ component: record.id, serviceId: record.serviceId, ie: record.ieId }, 'aerOS component created');
    return this.announce('ADDED', record);
  }

  async get(user: Principal, kind: AerosKind, namespace: string, name: string): Promise<ComponentObject> {
    return this.view(await this.owned(user, kind, namespace, name));
  }

  async list(user: Principal, kind: AerosKind, namespace?: string): Promise<ComponentObject[]> {
    const all = await this.store.components.find(user.role === 'Admin' ? { kind } : { kind, ownerId: user.userId });
    const records = all.filter((r) => namespace === undefined || r.namespace === namespace);
    return Promise.all(records.map((r) => this.view(r)));
  }

  async replace(
    user: Principal,
    kind: AerosKind,
    namespace: string,
    name: string,
    body: unknown,
  ): Promise<ComponentObject> {
    const sentVersion = resourceVersionOf(body);
    const stored = await this.owned(user, kind, namespace, name);
    const cr = this.validate(body);
    const errors = [];
    if (cr.kind !== kind) {
      errors.push({ path: 'kind', message: `must stay ${kind}` });
    }
    if (cr.metadata.name !== name) {
      errors.push({ path: 'metadata.name', message: `must be ${name}` });
    }
    if (cr.metadata.namespace !== undefined && cr.metadata.namespace !== namespace) {
      errors.push({ path: 'metadata.namespace', message: `must be ${namespace}` });
    }
    if (errors.length > 0) {
      throw new ValidationFailedError(errors);
    }
    if (sentVersion !== undefined && sentVersion !== String(stored.version)) {
      throw new StaleVersionError(AEROS_KIND_INFO[kind].plural, name);
    }
    cr.spec = restoreSecrets(plain(cr.spec), stored.spec) as unknown as AerosServiceComponent['spec'];
    const pin = await this.resolve(cr);
    const updated = await this.writes.runExclusive(async () => {
      const current = await this.owned(user, kind, namespace, name);
      const { service } = await this.services.get(user, current.serviceId);
      const ms = this.checkedMicroservice(cr, service.sla.microservice_name, pin);
      const samePin = current.hostname === pin.hostname && current.clusterName === pin.clusterName;
      const rollout = needsRecreate(service.sla, ms, samePin) ? 'recreate' : 'surge';
      if (service.rollout !== rollout) {
        await this.store.services.update({ ...service, rollout });
      }
      await this.services.update(user, current.serviceId, ms);
      const specChanged = JSON.stringify(plain(cr.spec)) !== JSON.stringify(current.spec);
      return this.store.components.update({
        ...current,
        generation: specChanged ? current.generation + 1 : current.generation,
        labels: cr.metadata.labels ?? {},
        annotations: cr.metadata.annotations ?? {},
        spec: plain(cr.spec),
        ...pinFields(pin),
      });
    });
    const object = await this.view(updated);
    this.emit('MODIFIED', object);
    return object;
  }

  async replaceSpec(
    user: Principal,
    kind: AerosKind,
    namespace: string,
    name: string,
    spec: unknown,
  ): Promise<ComponentObject> {
    const stored = await this.owned(user, kind, namespace, name);
    return this.replace(user, kind, namespace, name, { ...this.rawOf(stored), spec });
  }

  async mergePatch(
    user: Principal,
    kind: AerosKind,
    namespace: string,
    name: string,
    patch: unknown,
  ): Promise<ComponentObject> {
    if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) {
      throw new ValidationFailedError([{ path: '$', message: 'a merge patch must be a JSON object' }]);
    }
    const stored = await this.owned(user, kind, namespace, name);
    return this.replace(user, kind, namespace, name, mergePatch(this.rawOf(stored), patch));
  }

  async delete(user: Principal, kind: AerosKind, namespace: string, name: string): Promise<ComponentObject> {
    const record = await this.writes.runExclusive(async () => {
      const current = await this.owned(user, kind, namespace, name);
      const { service } = await this.services.get(user, current.serviceId);
      this.retired.set(current.serviceId, { entityId: current.entityId, generation: service.generation });
      await this.services.delete(user, current.serviceId);
      await this.store.components.delete(current.id);
      return current;
    });
    const object = await this.view(record);
    this.log.info({ component: record.id }, 'aerOS component deleted');
    this.emit('DELETED', object);
    return object;
  }

  subscribe(listener: (event: ChangeEvent) => void): () => void {
    this.events.on('change', listener);
    return () => this.events.off('change', listener);
  }

  private emit(type: ChangeEvent['type'], object: ComponentObject): void {
    this.events.emit('change', { type, object } satisfies ChangeEvent);
  }

  private validate(body: unknown): AerosServiceComponent {
    const result = validateInput(AerosServiceComponent, body);
    if (!result.ok) {
      throw new ValidationFailedError(result.errors, 'the custom resource is invalid');
    }
    return result.value;
  }

  private namespaceOf(cr: AerosServiceComponent, namespace: string | undefined): string {
    const ns = namespace ?? cr.metadata.namespace ?? 'default';
    if (cr.metadata.namespace !== undefined && cr.metadata.namespace !== ns) {
      throw new ValidationFailedError([
        { path: 'metadata.namespace', message: `does not match the namespace of the request (${ns})` },
      ]);
    }
    cr.metadata.namespace = ns;
    return ns;
  }

  /** `selectedIE` must name a known IE: a CR pinned nowhere would wait forever, silently. */
  private async resolve(cr: AerosServiceComponent): Promise<Pin & { ieId: string }> {
    const ref = cr.spec.selectedIE;
    // @IsOptional lets null through as well as a missing field.
    if (ref === undefined || ref === null) {
      throw new ValidationFailedError([{ path: 'spec.selectedIE', message: 'must name the Infrastructure Element' }]);
    }
    const found = await this.ies.resolveInfrastructureElement(ref);
    if (!found.ok) {
      throw new ValidationFailedError([{ path: 'spec.selectedIE', message: found.message }]);
    }
    return { clusterName: found.ie.clusterName, hostname: found.ie.hostname, ieId: found.ie.id };
  }

  /** The CR as the SLA side sees it, checked by the SLA's own rules so nothing invalid is stored. */
  private checkedMicroservice(cr: AerosServiceComponent, serviceName: string, pin: Pin): SlaMicroservice {
    const ms = microserviceOf(cr, serviceName, pin);
    const checked = validateInput(SlaMicroservice, ms);
    if (!checked.ok) {
      throw new ValidationFailedError(checked.errors.map((e) => ({ path: `spec (${e.path})`, message: e.message })));
    }
    return ms;
  }

  private async createService(
    user: Principal,
    cr: AerosServiceComponent,
    namespace: string,
    pin: Pin,
  ): Promise<{ applicationId: string; serviceId: string }> {
    const app = applicationOf(cr);
    const [existing] = await this.store.applications.find({
      ownerId: user.userId,
      application_name: app.name,
      application_namespace: app.namespace,
    });
    const taken = new Set<string>();
    for (const id of existing?.microservices ?? []) {
      const s = await this.store.services.get(id);
      if (s) {
        taken.add(s.sla.microservice_name);
      }
    }
    const base = slaName(cr.metadata.name, 'component');
    let serviceName = base;
    for (let n = 2; taken.has(serviceName); n++) {
      serviceName = `${base.slice(0, 30 - String(n).length)}${n}`;
    }
    const ms = this.checkedMicroservice(cr, serviceName, pin);
    const sla: SlaDescriptor = {
      sla_version: 'v2.0',
      customerID: user.username,
      applications: [
        {
          applicationID: existing?.id ?? '',
          application_name: app.name,
          application_namespace: app.namespace,
          application_desc: `aerOS service ${cr.metadata.labels?.['app.kubernetes.io/part-of'] ?? app.name} (namespace ${namespace})`,
          microservices: [ms],
        },
      ],
    };
    const application = existing
      ? await this.services.create(user, sla)
      : (await this.applications.create(user, sla))[0];
    if (!application) {
      throw new Error('application not created');
    }
    for (const id of application.microservices) {
      const s = await this.store.services.get(id);
      if (s?.sla.microservice_name === serviceName) {
        return { applicationId: application.id, serviceId: s.id };
      }
    }
    throw new Error(`service ${serviceName} not found after create`);
  }

  private async owned(user: Principal, kind: AerosKind, namespace: string, name: string): Promise<ComponentRecord> {
    const record = await this.store.components.get(recordId(kind, namespace, name));
    if (!record || (user.role !== 'Admin' && record.ownerId !== user.userId)) {
      throw new NotFoundError(AEROS_KIND_INFO[kind].plural, `"${name}" in namespace ${namespace}`);
    }
    return record;
  }

  /** The stored CR as a client sent it (unredacted), the base of patches. */
  private rawOf(record: ComponentRecord): Record<string, unknown> {
    return {
      apiVersion: 'llo.aeros-project.eu/v1alpha1',
      kind: record.kind,
      metadata: {
        name: record.name,
        namespace: record.namespace,
        labels: record.labels,
        annotations: record.annotations,
      },
      spec: record.spec,
    };
  }

  private async view(record: ComponentRecord): Promise<ComponentObject> {
    return (await this.snapshot(record)).object;
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

  private async instanceChanged(instance: InstanceRecord): Promise<void> {
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

  /** Emits the change to watchers and sends the status on, from one read. */
  private async announce(type: ChangeEvent['type'], record: ComponentRecord): Promise<ComponentObject> {
    const { object, state, ie } = await this.snapshot(record);
    this.emit(type, object);
    this.send(record.entityId, state.status, state.status === 'Finished' ? null : ie);
    return object;
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

function pinFields(pin: Pin & { ieId: string }): Pick<ComponentRecord, 'ieId' | 'hostname' | 'clusterName'> {
  return { ieId: pin.ieId, hostname: pin.hostname, clusterName: pin.clusterName };
}

/** A validated class instance back to plain JSON (what is stored and compared). */
function plain<T>(value: T): Record<string, unknown> {
  return JSON.parse(JSON.stringify(value)) as Record<string, unknown>;
}

function resourceVersionOf(body: unknown): string | undefined {
  const metadata = (body as { metadata?: { resourceVersion?: unknown } } | null)?.metadata;
  return typeof metadata?.resourceVersion === 'string' && metadata.resourceVersion !== ''
    ? metadata.resourceVersion
    : undefined;
}
