import { ApiTags } from '@nestjs/swagger';
import { ApiAuthenticated } from '../common/openapi';
import { Controller, Get } from '@nestjs/common';
import { ClustersService, type ClusterView } from './clusters.service';

@ApiTags('clusters')
@ApiAuthenticated()
@Controller('api/clusters')
export class ClustersController {
  constructor(private readonly clusters: ClustersService) {}

  @Get()
  all(): Promise<ClusterView[]> {
    return this.clusters.list();
  }

  @Get('active')
  active(): Promise<ClusterView[]> {
    return this.clusters.list(true);
  }
}
