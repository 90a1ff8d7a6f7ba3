import { Module } from '@nestjs/common';
import { ClustersModule } from '../clusters/clusters.module';
import { ClusterLossMonitor } from './cluster-loss.monitor';
import { InstancesService } from './instances.service';
import { InstanceUsageStore } from './instance-usage.store';
import { ReplicasReconciler } from './replicas.reconciler';
import { ServiceLocks } from './service-locks';

@Module({
  imports: [ClustersModule],
  providers: [InstancesService, InstanceUsageStore, ReplicasReconciler, ServiceLocks, ClusterLossMonitor],
  exports: [InstancesService, InstanceUsageStore, ReplicasReconciler, ServiceLocks],
})
export class InstancesModule {}
