import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { IdGenerator } from '../common/clock';
import { keptSecret } from '../common/secret-file';
import { constantTimeEqual } from '../common/secrets';
import { CLUSTER_CONFIG, CLUSTER_LOGGER } from '../common/tokens';
import type { ClusterConfig } from '../config/cluster-config';

const TOKEN_FILE = 'node-token';

/**
 * The join token nodes present to `POST /api/node/register`. From NODE_TOKEN, or generated once and
 * kept in the data directory (mode 0600) so nodes keep joining after a cluster restart.
 */
@Injectable()
export class NodeTokenService {
  readonly token: string;
  /** Whether this start generated the token (so the entry point prints it once). */
  readonly generated: boolean = false;

  constructor(@Inject(CLUSTER_CONFIG) config: ClusterConfig, @Inject(CLUSTER_LOGGER) logger: Logger, ids: IdGenerator) {
    if (config.nodeToken !== undefined) {
      this.token = config.nodeToken;
      return;
    }
    const kept = keptSecret(config.dataDir, TOKEN_FILE, () => ids.secret());
    this.token = kept.value;
    this.generated = kept.generated;
    if (kept.generated) {
      // The process entry prints it once to the terminal; the JSON log only says where it is kept.
      logger.info({ file: kept.file }, 'node join token generated');
    }
  }

  matches(presented: string): boolean {
    return constantTimeEqual(presented, this.token);
  }
}
