import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { UnauthorizedError } from '@canopy/nest-edge';
import type { Logger } from 'pino';
import { IdGenerator } from '../common/clock';
import { keptSecret } from '../common/secret-file';
import { constantTimeEqual } from '../common/secrets';
import { CLUSTER_CONFIG, CLUSTER_LOGGER } from '../common/tokens';
import type { ClusterConfig } from '../config/cluster-config';

const TOKEN_FILE = 'admin-token';

/**
 * The operator's credential for the cluster's own admin API (join tokens): CLUSTER_ADMIN_TOKEN, or
 * generated once into `admin-token` (mode 0600) in the data directory, where an operator on the
 * cluster's host reads it (as kubeadm reads admin.conf). It is never logged, never sent anywhere.
 */
@Injectable()
export class ClusterAdminToken {
  readonly token: string;

  constructor(@Inject(CLUSTER_CONFIG) config: ClusterConfig, @Inject(CLUSTER_LOGGER) logger: Logger, ids: IdGenerator) {
    if (config.adminToken !== undefined) {
      this.token = config.adminToken;
      return;
    }
    const kept = keptSecret(config.dataDir, TOKEN_FILE, () => ids.secret());
    this.token = kept.value;
    if (kept.generated) {
      logger.info({ file: kept.file }, 'cluster admin token generated');
    }
  }
}

interface HeaderRequest {
  headers: Record<string, string | string[] | undefined>;
}

/** `Authorization: Bearer <cluster admin token>`, compared in constant time. */
@Injectable()
export class ClusterAdminGuard implements CanActivate {
  constructor(private readonly admin: ClusterAdminToken) {}

  canActivate(context: ExecutionContext): boolean {
    const header = context.switchToHttp().getRequest<HeaderRequest>().headers.authorization;
    const match = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    if (!match?.[1]) {
      throw new UnauthorizedError('missing bearer token');
    }
    if (!constantTimeEqual(match[1], this.admin.token)) {
      throw new UnauthorizedError('invalid cluster admin token');
    }
    return true;
  }
}
