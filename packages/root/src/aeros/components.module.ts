import { Module } from '@nestjs/common';
import type { Logger } from 'pino';
import { ApplicationsModule } from '../applications/applications.module';
import { ClustersModule } from '../clusters/clusters.module';
import { ClustersService } from '../clusters/clusters.service';
import { LOGGER } from '../common/tokens';
import { InstancesModule } from '../instances/instances.module';
import { ServicesModule } from '../services/services.module';
import { COMPONENTS } from './components.port';
import { ComponentsService } from './components.service';
import { COMPONENT_STATUS_SINK, IE_DIRECTORY, type ComponentStatusSink, type IeDirectory } from './ie-directory';

/** aerOS custom resources as Canopy services; the LLO API, `/k8s` and `/hlo_al` import this. */
@Module({
  imports: [ApplicationsModule, ServicesModule, InstancesModule, ClustersModule],
  providers: [
    ComponentsService,
    { provide: COMPONENTS, useExisting: ComponentsService },
    // The IEs clusters report: `selectedIE` pins to the cluster and node that reported the IE.
    // A factory rather than useExisting, so the compiler checks ClustersService fits the port.
    {
      provide: IE_DIRECTORY,
      inject: [ClustersService],
      useFactory: (clusters: ClustersService): IeDirectory => clusters,
    },
    {
      provide: COMPONENT_STATUS_SINK,
      inject: [LOGGER],
      useFactory: (log: Logger): ComponentStatusSink => ({
        componentStatus: (entityId, status, infrastructureElement) =>
          log.info({ entityId, status, infrastructureElement }, 'aerOS component status'),
      }),
    },
  ],
  exports: [COMPONENTS, ComponentsService],
})
export class AerosComponentsModule {}
