import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { jobName, type FieldError, type SlaDescriptor } from '@canopy/schema';
import { isAdmin, type Principal } from '../auth/principal';
import { ConflictError, NotFoundError, ValidationFailedError } from '../common/domain-errors';
import { LOGGER } from '../common/tokens';
import { InstancesService } from '../instances/instances.service';
import type { ApplicationRecord, ServiceRecord } from '../persistence/records';
import { STORE, type Store } from '../persistence/store.port';

/** Names must be unique among a user's applications, and services within an application. */
function duplicateServiceNames(sla: SlaDescriptor): FieldError[] {
  const errors: FieldError[] = [];
  sla.applications.forEach((app, a) => {
    const seen = new Set<string>();
    app.microservices.forEach((ms, m) => {
      const key = `${ms.microservice_name}.${ms.microservice_namespace}`;
      if (seen.has(key)) {
        errors.push({
          path: `applications[${a}].microservices[${m}].microservice_name`,
          message: `microservice ${key} appears twice in the application`,
        });
      }
      seen.add(key);
    });
  });
  return errors;
}

@Injectable()
export class ApplicationsService {
  constructor(
    @Inject(STORE) private readonly store: Store,
    @Inject(LOGGER) private readonly log: Logger,
    private readonly instances: InstancesService,
  ) {}

  /** Creates every application of the descriptor and their services, all or nothing. */
  async create(user: Principal, sla: SlaDescriptor): Promise<ApplicationRecord[]> {
    const duplicates = duplicateServiceNames(sla);
    if (duplicates.length > 0) throw new ValidationFailedError(duplicates);
    const created = await this.store.transaction(async () => {
      const mine = await this.store.applications.find({ ownerId: user.userId });
      const out: ApplicationRecord[] = [];
      for (const app of sla.applications) {
        const clash = [...mine, ...out].find(
          (a) => a.application_name === app.application_name && a.application_namespace === app.application_namespace,
        );
        if (clash) {
          throw new ConflictError(
            `application ${app.application_name}.${app.application_namespace} already exists (${clash.id})`,
          );
        }
        const appId = randomUUID();
        const serviceIds: string[] = [];
        for (const ms of app.microservices) {
          const service: Omit<ServiceRecord, 'version' | 'createdAt' | 'updatedAt'> = {
            id: randomUUID(),
            ownerId: user.userId,
            applicationId: appId,
            jobName: jobName(
              app.application_name,
              app.application_namespace,
              ms.microservice_name,
              ms.microservice_namespace,
            ),
            sla: { ...ms, microserviceID: '' },
            generation: 1,
            replicas: ms.replicas ?? 1,
            nextInstance: 0,
          };
          await this.store.services.insert(service);
          serviceIds.push(service.id);
        }
        out.push(
          await this.store.applications.insert({
            id: appId,
            ownerId: user.userId,
            customerID: sla.customerID,
            application_name: app.application_name,
            application_namespace: app.application_namespace,
            application_desc: app.application_desc ?? '',
            microservices: serviceIds,
          }),
        );
      }
      return out;
    });
    this.log.info({ userId: user.userId, applications: created.map((a) => a.id) }, 'applications created');
    return created;
  }

  async list(user: Principal): Promise<ApplicationRecord[]> {
    return isAdmin(user) ? this.store.applications.find() : this.store.applications.find({ ownerId: user.userId });
  }

  /** Another user's application is a 404, never a 403: its existence is not revealed. */
  async get(user: Principal, id: string): Promise<ApplicationRecord> {
    const app = await this.store.applications.get(id);
    if (!app || (!isAdmin(user) && app.ownerId !== user.userId)) throw new NotFoundError('application', id);
    return app;
  }

  /** Deletes the application and its services, undeploying every instance first. */
  async delete(user: Principal, id: string): Promise<void> {
    const app = await this.get(user, id);
    for (const serviceId of app.microservices) {
      const service = await this.store.services.get(serviceId);
      if (!service) continue;
      for (const instance of await this.instances.listForService(serviceId)) {
        if (instance.desired === 'running') await this.instances.undeploy(service, instance.instanceNumber);
      }
    }
    await this.store.transaction(async () => {
      for (const serviceId of app.microservices) await this.store.services.delete(serviceId);
      await this.store.applications.delete(app.id);
    });
    this.log.info({ applicationId: id }, 'application deleted');
  }
}
