import { Module, type DynamicModule, type Type } from '@nestjs/common';
import { K8sCoreController, K8sFallbackController } from './k8s-core.controller';
import { K8sDiscoveryController } from './k8s-discovery.controller';
import { K8sResourcesController } from './k8s-resources.controller';
import { K8sStatusFilter } from './k8s-status.filter';
import { K8sWatchService } from './k8s-watch.service';

/**
 * The Kubernetes API surface under `/k8s` (SPEC §5): `kubectl --server <root>/k8s apply -f cr.yaml`
 * works with no Kubernetes. `components` is the module that provides the COMPONENTS port (the real
 * one in the app, a fake in the controller specs).
 */
@Module({})
export class K8sModule {
  static register(components: Type | DynamicModule): DynamicModule {
    return {
      module: K8sModule,
      imports: [components],
      // The fallback goes last: Nest registers routes in this order.
      controllers: [K8sDiscoveryController, K8sCoreController, K8sResourcesController, K8sFallbackController],
      providers: [K8sWatchService, K8sStatusFilter],
    };
  }
}
