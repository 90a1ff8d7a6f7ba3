import { Module } from '@nestjs/common';
import { InstancesModule } from '../instances/instances.module';
import { ClusterGateway } from './cluster.gateway';
import { ClustersModule } from './clusters.module';

/** Separate from ClustersModule because the gateway needs instances, and instances need clusters. */
@Module({ imports: [ClustersModule, InstancesModule], providers: [ClusterGateway] })
export class ClusterGatewayModule {}
