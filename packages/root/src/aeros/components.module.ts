import { Inject, Injectable, Module, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import type { Logger } from 'pino';
import { ApplicationsModule } from '../applications/applications.module';
import { ClustersModule } from '../clusters/clusters.module';
import { ClustersService } from '../clusters/clusters.service';
import { CLOCK, LOGGER, ROOT_CONFIG, type Clock } from '../common/tokens';
import type { RootConfig } from '../config/root-config';
import { InstancesModule } from '../instances/instances.module';
import { ServicesModule } from '../services/services.module';
import { COMPONENTS } from './components.port';
import { ComponentsService } from './components.service';
import { COMPONENT_STATUS_SINK, IE_DIRECTORY, type IeDirectory } from './ie-directory';
import { NgsiLdPublisher } from './ngsi-ld';

/**
 * Starts the NGSI-LD outbox's delivery with the app and stops it (rows stay on disk) when the app
 * closes; with NGSI_LD_UPSERT_IES, hands it the clusters' IEs every NGSI_LD_IE_INTERVAL_MS (the
 * publisher itself keeps one pending upsert per IE).
 */
@Injectable()
class NgsiLdLifecycle implements OnApplicationBootstrap, OnModuleDestroy {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly publisher: NgsiLdPublisher,
    private readonly clusters: ClustersService,
    @Inject(ROOT_CONFIG) private readonly config: RootConfig,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

  onApplicationBootstrap(): void {
    this.publisher.start();
    const ngsi = this.config.ngsiLd;
    if (ngsi?.upsertInfrastructureElements === true) {
      this.timer = setInterval(() => void this.upsertIes(), ngsi.ieIntervalMs);
      this.timer.unref();
    }
  }

  async onModuleDestroy(): Promise<void> {
    if (this.timer) {
      clearInterval(this.timer);
    }
    await this.publisher.stop();
  }

  private async upsertIes(): Promise<void> {
    try {
      const ies = await this.clusters.infrastructureElements();
      if (ies.length > 0) {
        this.publisher.upsertInfrastructureElements(ies);
      }
    } catch (error) {
      this.log.error({ err: error }, 'IE upsert not queued');
    }
  }
}

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
      provide: NgsiLdPublisher,
      inject: [ROOT_CONFIG, LOGGER, CLOCK],
      useFactory: (config: RootConfig, log: Logger, clock: Clock) =>
        new NgsiLdPublisher(config, log.child({ component: 'ngsi-ld' }), clock),
    },
    { provide: COMPONENT_STATUS_SINK, useExisting: NgsiLdPublisher },
    NgsiLdLifecycle,
  ],
  exports: [COMPONENTS, ComponentsService],
})
export class AerosComponentsModule {}
