import { Module } from '@nestjs/common';
import { ClustersModule } from '../clusters/clusters.module';
import { InfrastructureElementsController } from './infrastructure-elements.controller';

/** The IE routes; the IEs themselves live with the clusters that report them (ClustersService). */
@Module({ imports: [ClustersModule], controllers: [InfrastructureElementsController] })
export class InfrastructureElementsModule {}
