import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import { AuthService } from '../auth/auth.service';
import { constantTimeEqual, ForbiddenError, UnauthorizedError } from '@canopy/nest-edge';
import { ROOT_CONFIG } from '../common/tokens';
import type { RootConfig } from '../config/root-config';

/** `/metrics` takes the scrape token (CANOPY_METRICS_TOKEN) or an admin's access token. */
@Injectable()
export class MetricsAuthGuard implements CanActivate {
  constructor(
    private readonly auth: AuthService,
    @Inject(ROOT_CONFIG) private readonly config: RootConfig,
  ) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const header = ctx.switchToHttp().getRequest<Request>().headers.authorization;
    if (!header?.startsWith('Bearer ')) {
      throw new UnauthorizedError('missing bearer token');
    }
    const token = header.slice('Bearer '.length).trim();
    const expected = this.config.metricsToken;
    if (expected !== undefined && constantTimeEqual(token, expected)) {
      return true;
    }
    const principal = await this.auth.verifyAccessToken(token);
    if (principal.role !== 'Admin') {
      throw new ForbiddenError('metrics need the scrape token or an admin');
    }
    return true;
  }
}
