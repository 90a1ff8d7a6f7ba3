import { Inject, Injectable } from '@nestjs/common';
import { isAdmin, type Principal } from '../auth/principal';
import { NotFoundError } from '../common/domain-errors';
import { InstancesService } from '../instances/instances.service';
import type { InstanceRecord, ServiceRecord } from '../persistence/records';
import { STORE, type Store } from '../persistence/store.port';
import { ApplicationsService } from '../applications/applications.service';

@Injectable()
export class ServicesService {
  constructor(
    @Inject(STORE) private readonly store: Store,
    private readonly applications: ApplicationsService,
    private readonly instances: InstancesService,
  ) {}

  async get(user: Principal, id: string): Promise<{ service: ServiceRecord; instances: InstanceRecord[] }> {
    const service = await this.store.services.get(id);
    if (!service || (!isAdmin(user) && service.ownerId !== user.userId)) throw new NotFoundError('service', id);
    return { service, instances: await this.instances.listForService(id) };
  }

  async listForApplication(
    user: Principal,
    applicationId: string,
  ): Promise<{ service: ServiceRecord; instances: InstanceRecord[] }[]> {
    const app = await this.applications.get(user, applicationId);
    const out = [];
    for (const id of app.microservices) {
      const service = await this.store.services.get(id);
      if (service) out.push({ service, instances: await this.instances.listForService(id) });
    }
    return out;
  }

  async deployInstance(user: Principal, id: string): Promise<{ service: ServiceRecord; instance: InstanceRecord }> {
    const { service } = await this.get(user, id);
    return { service, instance: await this.instances.deploy(service) };
  }

  async undeployInstance(
    user: Principal,
    id: string,
    instanceNumber: number,
  ): Promise<{ service: ServiceRecord; instance: InstanceRecord }> {
    const { service } = await this.get(user, id);
    return { service, instance: await this.instances.undeploy(service, instanceNumber) };
  }
}
