import { ApiTags } from '@nestjs/swagger';
import { Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { AdminOnly } from '../auth/principal';
import { ApiAuthenticated } from '../common/openapi';
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
@Controller('api/clusters')
export class ClustersController {
  constructor(
    private readonly clusters: ClustersService,
    private readonly identity: ClusterIdentityService,
  ) {}

  @Get()
  all(): Promise<ClusterView[]> {
    return this.clusters.list();
  }

  @Get('active')
  active(): Promise<ClusterView[]> {
    return this.clusters.list(true);
  }

  /** An admin registers a cluster; it connects with `CLUSTER_TOKEN=<credential>` and `CLUSTER_NAME=<name>`. */
  @Post()
  @AdminOnly()
  async register(@Body() body: RegisterClusterDto): Promise<RegisteredClusterView> {
    const { record, credential } = await this.identity.register(body.name, body.location);
    return { id: record.id, cluster_name: record.name, credential };
  }

  @Post(':id/credential')
  @AdminOnly()
  @HttpCode(200)
  async rotate(@Param('id') id: string): Promise<RegisteredClusterView> {
    const { record, credential } = await this.identity.rotate(id);
    return { id: record.id, cluster_name: record.name, credential };
  }
}
