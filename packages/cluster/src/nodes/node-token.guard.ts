import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { UnauthorizedError } from '@canopy/nest-edge';
import { JoinTokensService } from './join-tokens.service';
import { NodesService } from './nodes.service';

/** Who presented the bearer token of a registration: a join token holder or a registered node. */
export type NodeAuth = { kind: 'join' } | { kind: 'node'; nodeId: string };

export interface NodeAuthRequest {
  headers: Record<string, string | string[] | undefined>;
  nodeAuth?: NodeAuth;
}

/**
 * `Authorization: Bearer <join token | node credential>`, compared in constant time. A join token
 * (the default one or a created, unexpired one) bootstraps a new name; a node's own credential
 * re-registers that node. Which of the two it was is left on the request for the controller.
 */
@Injectable()
export class NodeTokenGuard implements CanActivate {
  constructor(
    private readonly joinTokens: JoinTokensService,
    private readonly nodes: NodesService,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<NodeAuthRequest>();
    const header = request.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    if (!match?.[1]) {
      throw new UnauthorizedError('missing bearer token');
    }
    const node = this.nodes.byCredential(match[1]);
    if (node !== undefined) {
      request.nodeAuth = { kind: 'node', nodeId: node.id };
      return true;
    }
    if (!this.joinTokens.accepts(match[1])) {
      throw new UnauthorizedError('invalid join token or node credential');
    }
    request.nodeAuth = { kind: 'join' };
    return true;
  }
}
