import { Module } from '@nestjs/common';
import type { Logger } from 'pino';
import { ApplicationsModule } from '../applications/applications.module';
import { ClustersModule } from '../clusters/clusters.module';
import { LOGGER } from '../common/tokens';
import { InstancesModule } from '../instances/instances.module';
import { ServicesModule } from '../services/services.module';
import { COMPONENTS } from './components.port';
import { ComponentsService } from './components.service';
import { COMPONENT_STATUS_SINK, IE_DIRECTORY, type ComponentStatusSink } from './ie-directory';
import { InterimIeDirectory } from './interim-ie-directory';

/** aerOS custom resources as Canopy services; the LLO API, `/k8s` and `/hlo_al` import this. */
@Module({
  imports: [ApplicationsModule, ServicesModule, InstancesModule, ClustersModule],
  providers: [
    ComponentsService,
    { provide: COMPONENTS, useExisting: ComponentsService },
    { provide: IE_DIRECTORY, useClass: InterimIeDirectory },
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
