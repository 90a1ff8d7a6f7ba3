import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { ensurePrivateDir, UnauthorizedError } from '@canopy/nest-edge';
import type { Logger } from 'pino';
import { IdGenerator } from '../common/clock';
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
    const file = join(config.dataDir, TOKEN_FILE);
    if (existsSync(file)) {
      this.token = readFileSync(file, 'utf8').trim();
      return;
    }
    ensurePrivateDir(config.dataDir);
    this.token = ids.secret();
    writeFileSync(file, `${this.token}\n`, { mode: 0o600 });
    logger.info({ file }, 'cluster admin token generated');
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
