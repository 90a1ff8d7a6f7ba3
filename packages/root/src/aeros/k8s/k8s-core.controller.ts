import { All, Controller, Get, Inject, Param, UseFilters } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { AEROS_KINDS } from '@canopy/schema';
import { AerosApi, CurrentUser, type Principal } from '../../auth/principal';
import { COMPONENTS, type ComponentsPort } from '../components.port';
import { emptyEventList, namespaceList, namespaceObject } from './k8s-objects';
import { ResourceNotServedError } from './k8s-request';
import { K8sStatusFilter } from './k8s-status.filter';

/**
 * The few core (`/api/v1`) objects kubectl reads around custom resources: namespaces (implicit
 * here: every name exists) and events (Canopy keeps none; `kubectl describe` lists them).
 */
@AerosApi()
@ApiExcludeController()
@UseFilters(K8sStatusFilter)
@Controller('k8s/api/v1')
export class K8sCoreController {
  constructor(@Inject(COMPONENTS) private readonly components: ComponentsPort) {}

  @Get('namespaces')
  async namespaces(@CurrentUser() user: Principal): Promise<object> {
    const names = new Set(['default']);
    for (const kind of AEROS_KINDS) {
      for (const o of await this.components.list(user, kind)) {
        names.add(o.metadata.namespace);
      }
    }
    return namespaceList([...names].sort());
  }

  @Get('namespaces/:namespace')
  namespace(@Param('namespace') namespace: string): object {
    return namespaceObject(namespace);
  }

  @Get('namespaces/:namespace/events')
  namespacedEvents(): object {
    return emptyEventList();
  }

  @Get('events')
  events(): object {
    return emptyEventList();
  }
}

/**
 * Registered last: any other path under `/k8s` is a Kubernetes 404 `Status` (not Canopy's error
 * shape), which kubectl reports as "the server could not find the requested resource".
 */
@AerosApi()
@ApiExcludeController()
@UseFilters(K8sStatusFilter)
@Controller('k8s')
export class K8sFallbackController {
  @All('*path')
  notServed(): never {
    throw new ResourceNotServedError();
  }
}
