import { randomUUID } from 'node:crypto';
import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { Mutex } from 'async-mutex';
import type { Logger } from 'pino';
import {
  AEROS_KIND_INFO,
  AerosServiceComponent,
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
import type { ComponentRecord } from '../persistence/records';
import { STORE, type Store } from '../persistence/store.port';
import { ServicesService } from '../services/services.service';
import { ComponentAnnouncer, type ChangeEvent } from './component-announcer';
import { ComponentInput, pinFields, plain, rawOf, recordId, resourceVersionOf } from './component-input';
import {
  applicationOf,
  entityIdOf,
  mergePatch,
  needsRecreate,
  redactAnnotations,
  restoreSecrets,
  slaName,
  type Pin,
} from './component-model';
import type { ComponentObject, ComponentsPort } from './components.port';
import { COMPONENT_STATUS_SINK, IE_DIRECTORY, type ComponentStatusSink, type IeDirectory } from './ie-directory';

/**
 * aerOS custom resources as Canopy services (SPEC §5): each CR is one service of one replica,
 * pinned to the IE its `selectedIE` names, inside the application of its `part-of` label. The LLO
 * API, the Kubernetes surface and `/hlo_al` all go through here, so they accept and refuse alike.
 * Input checks are `ComponentInput`'s; views, watch events and aerOS statuses `ComponentAnnouncer`'s.
 */
@Injectable()
export class ComponentsService implements ComponentsPort, OnModuleInit {
  /** Create, replace and delete run one at a time: they find-or-create applications and names. */
  private readonly writes = new Mutex();
  private readonly input: ComponentInput;
  private readonly announcer: ComponentAnnouncer;

  constructor(
    @Inject(STORE) private readonly store: Store,
    @Inject(LOGGER) private readonly log: Logger,
    @Inject(IE_DIRECTORY) ies: IeDirectory,
    @Inject(COMPONENT_STATUS_SINK) sink: ComponentStatusSink,
    private readonly applications: ApplicationsService,
    private readonly services: ServicesService,
    private readonly instances: InstancesService,
  ) {
    this.input = new ComponentInput(ies);
    this.announcer = new ComponentAnnouncer(store, log, ies, sink, instances);
  }

  onModuleInit(): void {
    this.instances.onInstanceChange((instance) => void this.announcer.instanceChanged(instance));
  }

  async create(user: Principal, body: unknown, namespace?: string): Promise<ComponentObject> {
    const cr = this.input.validate(body);
    const ns = this.input.namespaceOf(cr, namespace);
    const pin = await this.input.resolve(cr);
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
        // kubectl's last-applied annotation holds the CR as applied, registry password included:
        // stored with the placeholder, as every read shows it, so the password is only in the sealed spec.
        annotations: redactAnnotations(cr.metadata.annotations ?? {}),
        spec: plain(cr.spec),
        applicationId,
        serviceId,
        entityId: entityIdOf(cr, ns),
        ...pinFields(pin),
      });
    });
    this.log.info({ component: record.id, serviceId: record.serviceId, ie: record.ieId }, 'aerOS component created');
    return this.announcer.announce('ADDED', record);
  }

  async get(user: Principal, kind: AerosKind, namespace: string, name: string): Promise<ComponentObject> {
    return this.announcer.view(await this.owned(user, kind, namespace, name));
  }

  async list(user: Principal, kind: AerosKind, namespace?: string): Promise<ComponentObject[]> {
    const all = await this.store.components.find(user.role === 'Admin' ? { kind } : { kind, ownerId: user.userId });
    const records = all.filter((r) => namespace === undefined || r.namespace === namespace);
    return Promise.all(records.map((r) => this.announcer.view(r)));
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
    const cr = this.input.validate(body);
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
    const pin = await this.input.resolve(cr);
    const updated = await this.writes.runExclusive(async () => {
      const current = await this.owned(user, kind, namespace, name);
      const { service } = await this.services.get(user, current.serviceId);
      const ms = this.input.checkedMicroservice(cr, service.sla.microservice_name, pin);
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
        annotations: redactAnnotations(cr.metadata.annotations ?? {}),
        spec: plain(cr.spec),
        ...pinFields(pin),
      });
    });
    const object = await this.announcer.view(updated);
    this.announcer.emit('MODIFIED', object);
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
    return this.replace(user, kind, namespace, name, { ...rawOf(stored), spec });
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
    return this.replace(user, kind, namespace, name, mergePatch(rawOf(stored), patch));
  }

  async delete(user: Principal, kind: AerosKind, namespace: string, name: string): Promise<ComponentObject> {
    const record = await this.writes.runExclusive(async () => {
      const current = await this.owned(user, kind, namespace, name);
      const { service } = await this.services.get(user, current.serviceId);
      this.announcer.retire(current.serviceId, current.entityId, service.generation);
      await this.services.delete(user, current.serviceId);
      await this.store.components.delete(current.id);
      return current;
    });
    const object = await this.announcer.view(record);
    this.log.info({ component: record.id }, 'aerOS component deleted');
    this.announcer.emit('DELETED', object);
    return object;
  }

  subscribe(listener: (event: ChangeEvent) => void): () => void {
    return this.announcer.subscribe(listener);
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
    const ms = this.input.checkedMicroservice(cr, serviceName, pin);
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
}
