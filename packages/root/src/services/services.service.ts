import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import {
  containerPolicyErrors,
  MAX_REPLICAS,
  type SlaDescriptor,
  type SlaMicroservice,
  ConflictError,
  NotFoundError,
  instanceSpecErrors,
  jobName,
  StaleVersionError,
  ValidationFailedError,
} from '@canopy/schema';
import { ApplicationsService } from '../applications/applications.service';
import { isAdmin, type Principal } from '../auth/principal';
import { LOGGER, ROOT_CONFIG } from '../common/tokens';
import type { RootConfig } from '../config/root-config';
import { InstancesService } from '../instances/instances.service';
import { ReplicasReconciler } from '../instances/replicas.reconciler';
import { ServiceLocks } from '../instances/service-locks';
import type { ApplicationRecord, InstanceRecord, ServiceRecord } from '../persistence/records';
import { STORE, type Store } from '../persistence/store.port';
import type { ServiceUpdateDto } from './dto/service-update.dto';
import { newServiceRecord } from './service-record';
import { QuotaService, demandOf } from '../quotas/quota.service';
import { holdDeployIfArmed } from '../testing/test-hooks';

export interface ServiceWithInstances {
  service: ServiceRecord;
  instances: InstanceRecord[];
}

/** Fields whose change does not need new containers. */
const NON_SPEC_FIELDS = new Set(['replicas', 'version', 'microserviceID', 'placement_policy', 'placementPolicy']);

function specOf(ms: SlaMicroservice): string {
  const entries = Object.entries(ms).filter(([k, v]) => !NON_SPEC_FIELDS.has(k) && v !== undefined);
  return JSON.stringify(Object.fromEntries(entries.sort(([a], [b]) => a.localeCompare(b))));
}

@Injectable()
export class ServicesService {
  constructor(
    @Inject(STORE) private readonly store: Store,
    @Inject(LOGGER) private readonly log: Logger,
    private readonly applications: ApplicationsService,
    private readonly instances: InstancesService,
    private readonly reconciler: ReplicasReconciler,
    private readonly locks: ServiceLocks,
    private readonly quotas: QuotaService,
    @Inject(ROOT_CONFIG) private readonly config: RootConfig,
  ) {}

  /** Another user's service is a 404, never a 403. */
  async get(user: Principal, id: string): Promise<ServiceWithInstances> {
    const service = await this.store.services.get(id);
    if (!service || (!isAdmin(user) && service.ownerId !== user.userId)) {
      throw new NotFoundError('service', id);
    }
    return { service, instances: await this.instances.listForService(id) };
  }

  /** Each cluster's location (Oakestra's instance page shows it), from the cluster registry. */
  async clusterLocations(): Promise<Map<string, string | undefined>> {
    return new Map((await this.store.clusters.find()).map((c) => [c.id, c.location]));
  }

  /** `GET /api/services/`: the services of every application the caller may see (all, for an admin). */
  async listAll(user: Principal): Promise<ServiceWithInstances[]> {
    const out: ServiceWithInstances[] = [];
    for (const app of await this.applications.list(user)) {
      out.push(...(await this.listForApplication(user, app.id)));
    }
    return out;
  }

  async listForApplication(user: Principal, applicationId: string): Promise<ServiceWithInstances[]> {
    const app = await this.applications.get(user, applicationId);
    const out: ServiceWithInstances[] = [];
    for (const id of app.microservices) {
      const service = await this.store.services.get(id);
      if (service) {
        out.push({ service, instances: await this.instances.listForService(id) });
      }
    }
    return out;
  }

  /** `POST /api/service`: adds the descriptor's microservices to an existing application. */
  async create(user: Principal, sla: SlaDescriptor): Promise<ApplicationRecord> {
    const [target, ...rest] = sla.applications;
    if (!target || rest.length > 0) {
      throw new ValidationFailedError([
        { path: 'applications', message: 'must hold exactly one application, naming an existing applicationID' },
      ]);
    }
    if (target.applicationID === '') {
      throw new ValidationFailedError([
        { path: 'applications[0].applicationID', message: 'must name an existing application' },
      ]);
    }
    if (target.microservices.length === 0) {
      throw new ValidationFailedError([
        { path: 'applications[0].microservices', message: 'must hold at least one microservice' },
      ]);
    }
    const app = await this.applications.get(user, target.applicationID);
    const invalid = target.microservices.flatMap((ms, m) => [
      ...instanceSpecErrors(
        ms,
        jobName(app.application_name, app.application_namespace, ms.microservice_name, ms.microservice_namespace),
        `applications[0].microservices[${m}]`,
      ),
      ...containerPolicyErrors(ms, this.config, `applications[0].microservices[${m}]`),
    ]);
    if (invalid.length > 0) {
      throw new ValidationFailedError(invalid);
    }
    const added = target.microservices.map((ms) => demandOf(newServiceRecord(app.ownerId, app, ms)));
    const created = await this.quotas.reserve(user, app.ownerId, added, [], () =>
      this.insertServices(app, target.microservices),
    );
    this.kickScheduled(created.microservices);
    return created;
  }

  /** Inserts the services into the application, refusing a name it already holds. */
  private insertServices(app: ApplicationRecord, microservices: SlaMicroservice[]): Promise<ApplicationRecord> {
    return this.store.transaction(async () => {
      const fresh = await this.store.applications.get(app.id);
      if (!fresh) {
        throw new NotFoundError('application', app.id);
      }
      const existing = new Set<string>();
      for (const id of fresh.microservices) {
        const s = await this.store.services.get(id);
        if (s) {
          existing.add(`${s.sla.microservice_name}.${s.sla.microservice_namespace}`);
        }
      }
      const ids: string[] = [];
      for (const [m, ms] of microservices.entries()) {
        const key = `${ms.microservice_name}.${ms.microservice_namespace}`;
        if (existing.has(key)) {
          throw new ConflictError(
            `microservice ${key} already exists in application ${app.id}`,
            [{ path: `applications[0].microservices[${m}].microservice_name`, message: `${key} already exists` }],
            'SERVICE_NAME_TAKEN',
          );
        }
        existing.add(key);
        const record = await this.store.services.insert(newServiceRecord(fresh.ownerId, fresh, ms));
        ids.push(record.id);
      }
      return this.store.applications.update({ ...fresh, microservices: [...fresh.microservices, ...ids] });
    });
  }

  /** Deploys one more instance. The first call deploys a service that was only created. */
  async deployInstance(user: Principal, id: string): Promise<{ service: ServiceRecord; instance: InstanceRecord }> {
    const { service } = await this.get(user, id);
    return this.locks.run(service.id, async () => {
      const current = (await this.store.services.get(service.id)) ?? service;
      const live = (await this.instances.listForService(service.id)).filter((i) => i.desired === 'running').length;
      if (live + 1 > MAX_REPLICAS) {
        throw new ConflictError(
          `service ${id} already runs the maximum of ${MAX_REPLICAS} instances`,
          [{ path: 'replicas', message: `at most ${MAX_REPLICAS}` }],
          'REPLICA_LIMIT_REACHED',
        );
      }
      const next = { ...current, scheduled: true, replicas: live + 1 };
      return this.quotas.reserve(user, current.ownerId, [demandOf(next)], [current.id], async () => {
        await holdDeployIfArmed();
        const updated = await this.store.services.update(next);
        const instance = await this.instances.deploy(updated);
        return { service: updated, instance };
      });
    });
  }

  /** Undeploys one instance and lowers `replicas` by one, so the reconciler does not replace it. */
  async undeployInstance(
    user: Principal,
    id: string,
    instanceNumber: number,
  ): Promise<{ service: ServiceRecord; instance: InstanceRecord }> {
    const { service } = await this.get(user, id);
    return this.locks.run(service.id, async () => {
      const instance = await this.instances.undeploy(service, instanceNumber);
      const current = (await this.store.services.get(service.id)) ?? service;
      const live = (await this.instances.listForService(service.id)).filter((i) => i.desired === 'running').length;
      const updated = await this.store.services.update({ ...current, replicas: Math.min(current.replicas, live) });
      return { service: updated, instance };
    });
  }

  /**
   * `PUT /api/service/<id>`: replaces the spec. A change to what runs (image, env, cmd, resources,
   * ...) bumps the generation and the reconciler rolls the instances over one at a time; a change
   * of `replicas` alone scales.
   */
  async update(user: Principal, id: string, body: ServiceUpdateDto): Promise<ServiceWithInstances> {
    const { service } = await this.get(user, id);
    const renamed: { path: string; message: string }[] = [];
    if (body.microservice_name !== service.sla.microservice_name) {
      renamed.push({ path: 'microservice_name', message: `must stay ${service.sla.microservice_name}` });
    }
    if (body.microservice_namespace !== service.sla.microservice_namespace) {
      renamed.push({ path: 'microservice_namespace', message: `must stay ${service.sla.microservice_namespace}` });
    }
    if (renamed.length > 0) {
      throw new ValidationFailedError(renamed, 'a service cannot be renamed');
    }
    const invalid = [
      ...instanceSpecErrors(body, service.jobName, '', service.id),
      ...containerPolicyErrors(body, this.config),
    ];
    if (invalid.length > 0) {
      throw new ValidationFailedError(invalid);
    }
    const updated = await this.locks.run(service.id, async () => {
      const current = await this.store.services.get(service.id);
      if (!current) {
        throw new NotFoundError('service', id);
      }
      if (body.version !== undefined && body.version !== current.version) {
        throw new StaleVersionError('service', id);
      }
      const { version: _version, ...ms } = body;
      const next = {
        scheduled: current.scheduled || ms.replicas !== undefined,
        replicas: ms.replicas ?? current.replicas,
      };
      const specChanged = specOf(ms) !== specOf(current.sla);
      return this.quotas.reserve(user, current.ownerId, [demandOf({ ...next, sla: ms })], [current.id], () =>
        this.store.services.update({
          ...current,
          sla: { ...ms, microserviceID: '' },
          generation: specChanged ? current.generation + 1 : current.generation,
          ...next,
        }),
      );
    });
    this.log.info({ serviceId: id, generation: updated.generation, replicas: updated.replicas }, 'service updated');
    this.reconciler.kick(id);
    return { service: updated, instances: await this.instances.listForService(id) };
  }

  async instanceLogs(user: Principal, id: string, instanceNumber: number, tail: number): Promise<string[]> {
    const { service } = await this.get(user, id);
    return this.instances.logs(service, instanceNumber, tail);
  }

  /** Undeploys every instance, then removes the service from its application. */
  async delete(user: Principal, id: string): Promise<void> {
    const { service } = await this.get(user, id);
    await this.locks.run(service.id, async () => {
      for (const instance of await this.instances.listForService(id)) {
        if (instance.desired === 'running') {
          await this.instances.undeploy(service, instance.instanceNumber);
        }
      }
      await this.store.transaction(async () => {
        const app = await this.store.applications.get(service.applicationId);
        if (app) {
          await this.store.applications.update({ ...app, microservices: app.microservices.filter((s) => s !== id) });
        }
        await this.store.services.delete(id);
      });
    });
    this.log.info({ serviceId: id }, 'service deleted');
  }

  /** Services whose descriptor stated `replicas` start at once. */
  kickScheduled(serviceIds: string[]): void {
    for (const id of serviceIds) {
      this.reconciler.kick(id);
    }
  }
}
