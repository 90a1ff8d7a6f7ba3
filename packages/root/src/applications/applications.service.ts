import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import {
  containerPolicyErrors,
  type RootContainerPolicy,
  type FieldError,
  type SlaDescriptor,
  ConflictError,
  NotFoundError,
  instanceSpecErrors,
  jobName,
  StaleVersionError,
  ValidationFailedError,
} from '@canopy/schema';
import { isAdmin, type Principal } from '../auth/principal';
import { LOGGER, ROOT_CONFIG } from '../common/tokens';
import type { RootConfig } from '../config/root-config';
import { InstancesService } from '../instances/instances.service';
import { ReplicasReconciler } from '../instances/replicas.reconciler';
import { ServiceLocks } from '../instances/service-locks';
import type { ApplicationRecord } from '../persistence/records';
import { STORE, type Store } from '../persistence/store.port';
import { newServiceRecord } from '../services/service-record';
import { QuotaService, demandOf } from '../quotas/quota.service';
import type { ApplicationUpdateDto } from './dto/application-update.dto';

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

/** Every microservice must make an instance spec the clusters accept (issue 9, deliverable 7). */
function specErrors(sla: SlaDescriptor, policy: RootContainerPolicy): FieldError[] {
  return sla.applications.flatMap((app, a) =>
    app.microservices.flatMap((ms, m) => [
      ...instanceSpecErrors(
        ms,
        jobName(app.application_name, app.application_namespace, ms.microservice_name, ms.microservice_namespace),
        `applications[${a}].microservices[${m}]`,
      ),
      ...containerPolicyErrors(ms, policy, `applications[${a}].microservices[${m}]`),
    ]),
  );
}

@Injectable()
export class ApplicationsService {
  constructor(
    @Inject(STORE) private readonly store: Store,
    @Inject(LOGGER) private readonly log: Logger,
    private readonly instances: InstancesService,
    private readonly reconciler: ReplicasReconciler,
    private readonly locks: ServiceLocks,
    private readonly quotas: QuotaService,
    @Inject(ROOT_CONFIG) private readonly config: RootConfig,
  ) {}

  /** Creates every application of the descriptor and their services, all or nothing. */
  async create(user: Principal, sla: SlaDescriptor): Promise<ApplicationRecord[]> {
    const duplicates = duplicateServiceNames(sla);
    if (duplicates.length > 0) {
      throw new ValidationFailedError(duplicates);
    }
    const invalid = specErrors(sla, this.config);
    if (invalid.length > 0) {
      throw new ValidationFailedError(invalid);
    }
    const added = sla.applications.flatMap((app) =>
      app.microservices.map((ms) => demandOf(newServiceRecord(user.userId, { ...app, id: '' }, ms))),
    );
    const scheduled: string[] = [];
    const created = await this.quotas.reserve(user, user.userId, added, [], () =>
      this.store.transaction(async () => {
        const out: ApplicationRecord[] = [];
        for (const [a, app] of sla.applications.entries()) {
          const { application_name, application_namespace } = app;
          // An indexed lookup of just this name, so creating stays constant-time however many applications a user has.
          const [stored] = await this.store.applications.find({
            ownerId: user.userId,
            application_name,
            application_namespace,
          });
          const clash =
            stored ??
            out.find(
              (x) => x.application_name === application_name && x.application_namespace === application_namespace,
            );
          if (clash) {
            throw new ConflictError(
              `application ${app.application_name}.${app.application_namespace} already exists (${clash.id})`,
              [
                {
                  path: `applications[${a}].application_name`,
                  message: 'an application with this name and namespace exists',
                },
              ],
              'APPLICATION_NAME_TAKEN',
            );
          }
          const appId = randomUUID();
          const serviceIds: string[] = [];
          for (const ms of app.microservices) {
            const service = await this.store.services.insert(newServiceRecord(user.userId, { ...app, id: appId }, ms));
            serviceIds.push(service.id);
            if (service.scheduled) {
              scheduled.push(service.id);
            }
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
      }),
    );
    for (const id of scheduled) {
      this.reconciler.kick(id);
    }
    this.log.info({ userId: user.userId, applications: created.map((a) => a.id) }, 'applications created');
    return created;
  }

  async list(user: Principal): Promise<ApplicationRecord[]> {
    return isAdmin(user) ? this.store.applications.find() : this.store.applications.find({ ownerId: user.userId });
  }

  async listOfUser(user: Principal, userId: string): Promise<ApplicationRecord[]> {
    if (!isAdmin(user) && userId !== user.userId && userId !== user.username) {
      return [];
    }
    const [byName] = isAdmin(user) ? await this.store.users.find({ username: userId }) : [];
    return this.store.applications.find({ ownerId: byName?.id ?? (userId === user.username ? user.userId : userId) });
  }

  /** Another user's application is a 404, never a 403: its existence is not revealed. */
  async get(user: Principal, id: string): Promise<ApplicationRecord> {
    const app = await this.store.applications.get(id);
    if (!app || (!isAdmin(user) && app.ownerId !== user.userId)) {
      throw new NotFoundError('application', id);
    }
    return app;
  }

  async update(user: Principal, id: string, body: ApplicationUpdateDto): Promise<ApplicationRecord> {
    const app = await this.get(user, id);
    const errors: FieldError[] = [];
    if (body.application_name !== undefined && body.application_name !== app.application_name) {
      errors.push({
        path: 'application_name',
        message: `an application cannot be renamed (is ${app.application_name})`,
      });
    }
    if (body.application_namespace !== undefined && body.application_namespace !== app.application_namespace) {
      errors.push({
        path: 'application_namespace',
        message: `an application cannot be renamed (is ${app.application_namespace})`,
      });
    }
    if (errors.length > 0) {
      throw new ValidationFailedError(errors);
    }
    if (body.version !== undefined && body.version !== app.version) {
      throw new StaleVersionError('application', id);
    }
    return this.store.applications.update({ ...app, application_desc: body.application_desc ?? app.application_desc });
  }

  /** Deletes the application and its services, undeploying every instance first. */
  async delete(user: Principal, id: string): Promise<void> {
    const app = await this.get(user, id);
    for (const serviceId of app.microservices) {
      // Unschedule under the service's lock first, so the reconciler cannot bring instances back.
      await this.locks.run(serviceId, async () => {
        const service = await this.store.services.get(serviceId);
        if (!service) {
          return;
        }
        const stopped = await this.store.services.update({ ...service, scheduled: false, replicas: 0 });
        for (const instance of await this.instances.listForService(serviceId)) {
          if (instance.desired === 'running') {
            await this.instances.undeploy(stopped, instance.instanceNumber);
          }
        }
      });
    }
    await this.store.transaction(async () => {
      for (const serviceId of app.microservices) {
        await this.store.services.delete(serviceId);
      }
      await this.store.applications.delete(app.id);
    });
    this.log.info({ applicationId: id }, 'application deleted');
  }
}
