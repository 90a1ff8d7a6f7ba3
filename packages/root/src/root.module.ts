import { Module, type DynamicModule } from '@nestjs/common';
import { AerosModule } from './aeros/aeros.module';
import { AerosComponentsModule } from './aeros/components.module';
import { K8sModule } from './aeros/k8s/k8s.module';
import { ApplicationsModule } from './applications/applications.module';
import { AuthModule } from './auth/auth.module';
import { ClusterGatewayModule } from './clusters/cluster-gateway.module';
import { ClustersModule } from './clusters/clusters.module';
import { CoreModule, type RootDeps } from './core.module';
import { EventsModule } from './events/events.module';
import { HealthController } from './health.controller';
import { InfrastructureElementsModule } from './infrastructure-elements/infrastructure-elements.module';
import { MetricsModule } from './metrics/metrics.module';
import { OrganizationsModule } from './organizations/organizations.module';
import { ServicesModule } from './services/services.module';
import { UsersModule } from './users/users.module';

@Module({})
export class RootModule {
  static forRoot(deps: RootDeps): DynamicModule {
    return {
      module: RootModule,
      imports: [
        CoreModule.forRoot(deps),
        AuthModule,
        UsersModule,
        OrganizationsModule,
        ClustersModule,
        InfrastructureElementsModule,
        ApplicationsModule,
        ServicesModule,
        ClusterGatewayModule,
        EventsModule,
        MetricsModule,
        AerosModule,
        // Last: its catch-all 404 for `/k8s/*` must come after every other route.
        K8sModule.register(AerosComponentsModule),
      ],
      controllers: [HealthController],
    };
  }
}
