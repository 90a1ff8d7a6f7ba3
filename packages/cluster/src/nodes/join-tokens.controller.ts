import { Body, Controller, Delete, Get, HttpCode, Param, Post, UseGuards } from '@nestjs/common';
import { IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { NotFoundError } from '@canopy/nest-edge';
import { ClusterAdminGuard } from './cluster-admin.guard';
import { JOIN_TOKEN_ID, JoinTokensService, type JoinTokenView } from './join-tokens.service';
import { BrokerCredentials } from '../mqtt/broker-credentials.port';
import { NodesService } from './nodes.service';

/** `POST /api/join-tokens` body; both fields optional. */
export class CreateJoinTokenRequest {
  /** Seconds until it expires; default 86400 (a day); 0 = never (as `kubeadm token create --ttl 0`). */
  @IsOptional() @IsInt() @Min(0) @Max(365 * 24 * 60 * 60) ttlSeconds?: number;
  @IsOptional() @IsString() @MaxLength(200) description?: string;
}

/**
 * Bootstrap tokens for nodes, as `kubeadm token create/list/delete`, for the cluster's operator
 * (bearer: the cluster admin token). A token lets a node register a new name only.
 */
@Controller('api/join-tokens')
@UseGuards(ClusterAdminGuard)
export class JoinTokensController {
  constructor(private readonly tokens: JoinTokensService) {}

  /** The only reply that carries the token itself. */
  @Post()
  @HttpCode(201)
  create(@Body() body: CreateJoinTokenRequest): JoinTokenView & { token: string } {
    return this.tokens.create(body.ttlSeconds, body.description);
  }

  @Get()
  list(): JoinTokenView[] {
    return this.tokens.list();
  }

  @Delete(':id')
  @HttpCode(204)
  revoke(@Param('id') id: string): void {
    if (!JOIN_TOKEN_ID.test(id)) {
      throw new NotFoundError('join token', id);
    }
    this.tokens.revoke(id);
  }
}

/** The operator's side of node identity: approve a node that lost its credential file. */
@Controller('api/nodes')
@UseGuards(ClusterAdminGuard)
export class NodeCredentialsController {
  constructor(
    private readonly nodes: NodesService,
    private readonly broker: BrokerCredentials,
  ) {}

  /**
   * The node's name then takes a join token once more (same id); its old credential and its broker
   * login are void, and a connection open under it is closed (whoever held the name is out).
   */
  @Delete(':name/credential')
  @HttpCode(204)
  async reset(@Param('name') name: string): Promise<void> {
    const node = this.nodes.resetCredential(name);
    await this.broker.revoke(node.id);
  }
}
