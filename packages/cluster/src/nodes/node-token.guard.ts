import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { UnauthorizedError } from '@canopy/nest-edge';
import { NodeTokenService } from './node-token.service';

interface HeaderRequest {
  headers: Record<string, string | string[] | undefined>;
}

/** `Authorization: Bearer <node join token>`, compared in constant time. */
@Injectable()
export class NodeTokenGuard implements CanActivate {
  constructor(private readonly tokens: NodeTokenService) {}

  canActivate(context: ExecutionContext): boolean {
    const header = context.switchToHttp().getRequest<HeaderRequest>().headers.authorization;
    const match = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    if (!match?.[1]) {
      throw new UnauthorizedError('missing bearer token');
    }
    if (!this.tokens.matches(match[1])) {
      throw new UnauthorizedError('invalid node token');
    }
    return true;
  }
}
