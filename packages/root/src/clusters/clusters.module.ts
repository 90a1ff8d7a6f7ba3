import { Module } from '@nestjs/common';
import { ClusterIdentityService } from './cluster-identity.service';
import { ClustersController } from './clusters.controller';
import { ClustersService } from './clusters.service';

@Module({
  controllers: [ClustersController],
  providers: [ClustersService, ClusterIdentityService],
  exports: [ClustersService, ClusterIdentityService],
})
export class ClustersModule {}
