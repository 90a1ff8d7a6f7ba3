import { Inject, Injectable, type CanActivate } from '@nestjs/common';
import { TooManyRequestsError } from '@canopy/nest-edge';
import { Clock } from '../common/clock';
import { TokenBucket } from '../common/token-bucket';
import { CLUSTER_CONFIG } from '../common/tokens';
import type { ClusterConfig } from '../config/cluster-config';

/**
 * Registrations admitted per second from all addresses together (REGISTER_ADMISSION_RATE): when a
 * whole fleet registers at once, those over the rate get 429 at once, before any hashing or SQLite
 * write, and retry after their jittered backoff, instead of all queueing until they time out.
 * REGISTER_RATE_LIMIT, per address, is the other guard (against guessing join tokens).
 */
@Injectable()
export class RegisterAdmissionGuard implements CanActivate {
  private readonly bucket: TokenBucket;

  constructor(
    @Inject(CLUSTER_CONFIG) config: ClusterConfig,
    private readonly clock: Clock,
  ) {
    this.bucket = new TokenBucket(config.registerAdmissionRate);
  }

  canActivate(): boolean {
    if (!this.bucket.take(this.clock.now())) {
      throw new TooManyRequestsError('the cluster is admitting registrations at its rate; retry shortly');
    }
    return true;
  }
}
