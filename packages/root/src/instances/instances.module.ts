import { Module } from '@nestjs/common';
import { ClustersModule } from '../clusters/clusters.module';
import { ClusterLossMonitor } from './cluster-loss.monitor';
import { InstancesService } from './instances.service';
import { ReplicasReconciler } from './replicas.reconciler';
import { ServiceLocks } from './service-locks';

@Module({
  imports: [ClustersModule],
  providers: [InstancesService, ReplicasReconciler, ServiceLocks, ClusterLossMonitor],
  exports: [InstancesService, ReplicasReconciler, ServiceLocks],
})
export class InstancesModule {}
