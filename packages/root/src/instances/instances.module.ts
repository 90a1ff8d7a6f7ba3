import { Module } from '@nestjs/common';
import { ClustersModule } from '../clusters/clusters.module';
import { InstancesService } from './instances.service';

@Module({ imports: [ClustersModule], providers: [InstancesService], exports: [InstancesService] })
export class InstancesModule {}
