import { ApiTags } from '@nestjs/swagger';
import { Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { AdminOnly } from '../auth/principal';
import { ApiAuthenticated } from '../common/openapi';
import { NotFoundError } from '@canopy/schema';
import { ClusterIdentityService } from './cluster-identity.service';
import { ClustersService, type ClusterView } from './clusters.service';

/** `POST /api/clusters`: the name the cluster will connect under (its `CLUSTER_NAME`). */
export class RegisterClusterDto {
  @IsString() @Matches(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/) name!: string;
  /** `lat,long` or a place name, until the cluster reports its own */
  @IsOptional() @IsString() @MaxLength(256) location?: string;
}

/** The only replies that carry a cluster's credential (it is stored as a digest). */
export interface RegisteredClusterView {
  id: string;
  cluster_name: string;
  credential: string;
}

@ApiTags('clusters')
@ApiAuthenticated()
@Controller('api')
export class ClustersController {
  constructor(
    private readonly clusters: ClustersService,
    private readonly identity: ClusterIdentityService,
  ) {}

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

  /** An admin registers a cluster; it connects with `CLUSTER_TOKEN=<credential>` and `CLUSTER_NAME=<name>`. */
  @Post('clusters')
  @AdminOnly()
  async register(@Body() body: RegisterClusterDto): Promise<RegisteredClusterView> {
    const { record, credential } = await this.identity.register(body.name, body.location);
    return { id: record.id, cluster_name: record.name, credential };
  }

  @Post('clusters/:id/credential')
  @AdminOnly()
  @HttpCode(200)
  async rotate(@Param('id') id: string): Promise<RegisteredClusterView> {
    const { record, credential } = await this.identity.rotate(id);
    return { id: record.id, cluster_name: record.name, credential };
  }
}
