import { ApiTags } from '@nestjs/swagger';
import { ApiAuthenticated } from '../common/openapi';
import { Controller, Get, Param } from '@nestjs/common';
import { NotFoundError } from '@canopy/schema';
import { ClustersService, type ClusterView } from './clusters.service';

@ApiTags('clusters')
@ApiAuthenticated()
@Controller('api')
export class ClustersController {
  constructor(private readonly clusters: ClustersService) {}

  @Get('clusters')
  all(): Promise<ClusterView[]> {
    return this.clusters.list();
  }

  @Get('clusters/active')
  active(): Promise<ClusterView[]> {
    return this.clusters.list(true);
  }

  /**
   * Oakestra's dashboard asks for the clusters of a user. Canopy's clusters are registered by the
   * operator with the cluster token and serve every user, so each user sees them all.
   */
  @Get('clusters/:userId')
  ofUser(): Promise<ClusterView[]> {
    return this.clusters.list();
  }

  /** One cluster by id (Oakestra's dashboard: `GET /api/cluster/<id>`). */
  @Get('cluster/:id')
  async one(@Param('id') id: string): Promise<ClusterView> {
    const view = await this.clusters.view(id);
    if (view === undefined) {
      throw new NotFoundError('cluster', id);
    }
    return view;
  }
}
