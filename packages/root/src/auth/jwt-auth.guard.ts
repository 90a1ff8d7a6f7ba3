import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { ForbiddenError, UnauthorizedError } from '@canopy/nest-edge';
import { ApiTokensService } from '../api-tokens/api-tokens.service';
import { principalOf, ServiceAccountService } from '../api-tokens/service-account.service';
import { ROOT_CONFIG } from '../common/tokens';
import type { RootConfig } from '../config/root-config';
import type { Role } from '../persistence/records';
import { AuthService } from './auth.service';
import { credentialOf } from './credential';
import { AEROS_API, IS_PUBLIC, ROLES, type Principal } from './principal';
import { TrustedNetworks } from './trusted-networks';

/**
 * Global guard: every route needs a valid access token unless marked @Public(). Routes marked
 * @AerosApi() also take an API token (`canopy_at_…`), and a request with no Authorization header
 * from AEROS_TRUSTED_NETWORKS; both act as the aerOS service account. Elsewhere an API token is 403.
 */
@Injectable()
export class JwtAuthGuard implements CanActivate {
  private readonly trusted: TrustedNetworks;

  constructor(
    private readonly reflector: Reflector,
    private readonly auth: AuthService,
    private readonly apiTokens: ApiTokensService,
    private readonly serviceAccount: ServiceAccountService,
    @Inject(ROOT_CONFIG) config: RootConfig,
  ) {
    this.trusted = new TrustedNetworks(config.aerosTrustedNetworks);
  }

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    if (ctx.getType() !== 'http') {
      return true;
    }
    const targets = [ctx.getHandler(), ctx.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) {
      return true;
    }
    const aeros = this.reflector.getAllAndOverride<boolean>(AEROS_API, targets) === true;
    const req = ctx.switchToHttp().getRequest<Request & { principal?: Principal }>();
    const principal = await this.authenticate(req, aeros);
    req.principal = principal;
    const roles = this.reflector.getAllAndOverride<Role[] | undefined>(ROLES, targets);
    if (roles && !roles.includes(principal.role)) {
      throw new ForbiddenError(`this route needs the role ${roles.join(' or ')}`);
    }
    return true;
  }

  private async authenticate(req: Request, aeros: boolean): Promise<Principal> {
    const credential = credentialOf(
      { authorization: req.headers.authorization, remoteAddress: req.socket.remoteAddress, aerosRoute: aeros },
      this.trusted,
    );
    switch (credential.kind) {
      case 'none':
        throw new UnauthorizedError(credential.reason);
      case 'jwt':
        return this.auth.verifyAccessToken(credential.token);
      case 'trusted-network':
        return principalOf(await this.serviceAccount.ensure(), {
          kind: 'trusted-network',
          address: credential.address,
        });
      case 'api-token': {
        // Verified first: a bad token is a 401 wherever it is sent; a good one off the aerOS routes a 403.
        const principal = await this.apiTokens.authenticate(credential.token);
        if (!credential.allowedHere) {
          throw new ForbiddenError(
            "API tokens are accepted only on the aerOS routes (LLO API, /k8s, /hlo_al); use a user's access token here",
          );
        }
        return principal;
      }
    }
  }
}
