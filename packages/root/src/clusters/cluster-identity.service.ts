import { randomBytes, randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { ConflictError, constantTimeEqual, NotFoundError, sha256Hex } from '@canopy/nest-edge';
import { LOGGER, ROOT_CONFIG, ROOT_SECRETS } from '../common/tokens';
import type { RootConfig, RootSecrets } from '../config/root-config';
import type { ClusterRecord } from '../persistence/records';
import { STORE, type Store } from '../persistence/store.port';
import { ClustersService } from './clusters.service';

/** Why a cluster's handshake was refused; the message goes back to the cluster (never a secret). */
export type Admission = { ok: true } | { ok: false; reason: string };

/**
 * Cluster identity (SPEC §9): an admin registers a cluster by name and gets a credential bound to
 * that name; a cluster connecting with it may only be that cluster. The shared cluster token
 * still admits clusters no admin registered, where the operator opted in
 * (CANOPY_ALLOW_SHARED_CLUSTER_TOKEN). Either way a live cluster's channel is never displaced: a
 * newcomer under its name is refused while it is connected.
 */
@Injectable()
export class ClusterIdentityService {
  constructor(
    @Inject(STORE) private readonly store: Store,
    @Inject(ROOT_CONFIG) private readonly config: RootConfig,
    @Inject(ROOT_SECRETS) private readonly secrets: RootSecrets,
    @Inject(LOGGER) private readonly log: Logger,
    private readonly clusters: ClustersService,
  ) {}

  /**
   * Registers a cluster name with a fresh credential (shown once). A name a shared-token cluster
   * already used is taken over by the registration: from now on only the credential admits it.
   * @throws ConflictError CLUSTER_NAME_TAKEN when the name is registered already.
   */
  async register(name: string, location: string | undefined): Promise<{ record: ClusterRecord; credential: string }> {
    const credential = `canopy_cc_${randomBytes(24).toString('base64url')}`;
    const credentialSha256 = sha256Hex(credential);
    const record = await this.store.transaction(async () => {
      const [existing] = await this.store.clusters.find({ name });
      if (existing?.credentialSha256 !== undefined) {
        const message = `cluster ${name} is already registered`;
        throw new ConflictError(message, [{ path: 'name', message }], 'CLUSTER_NAME_TAKEN');
      }
      if (existing !== undefined) {
        return this.store.clusters.update({
          ...existing,
          credentialSha256,
          ...(location === undefined ? {} : { location }),
        });
      }
      return this.store.clusters.insert({
        id: randomUUID(),
        name,
        credentialSha256,
        ...(location === undefined ? {} : { location }),
      });
    });
    this.log.info({ clusterId: record.id, cluster: name }, 'cluster registered');
    return { record, credential };
  }

  /** A new credential for a registered cluster; the old one stops admitting it (its live channel stays). */
  async rotate(clusterId: string): Promise<{ record: ClusterRecord; credential: string }> {
    const credential = `canopy_cc_${randomBytes(24).toString('base64url')}`;
    const record = await this.store.transaction(async () => {
      const existing = await this.store.clusters.get(clusterId);
      if (existing === undefined) {
        throw new NotFoundError('cluster', clusterId);
      }
      return this.store.clusters.update({ ...existing, credentialSha256: sha256Hex(credential) });
    });
    this.log.info({ clusterId, cluster: record.name }, 'cluster credential rotated');
    return { record, credential };
  }

  /** Whether a handshake under `name` with `token` may connect now. */
  async admit(name: string, token: string): Promise<Admission> {
    const [record] = await this.store.clusters.find({ name });
    const shared = constantTimeEqual(token, this.secrets.clusterToken);
    if (record?.credentialSha256 !== undefined) {
      // Compared as digests, in constant time; a registered name never takes the shared token.
      if (!constantTimeEqual(sha256Hex(token), record.credentialSha256)) {
        return {
          ok: false,
          reason: shared ? `unauthorized: cluster ${name} connects with its own credential` : 'unauthorized',
        };
      }
    } else if (!shared) {
      return { ok: false, reason: 'unauthorized' };
    } else if (this.config.allowSharedClusterToken !== true) {
      return {
        ok: false,
        reason:
          'unauthorized: the shared cluster token is disabled (register the cluster, or set CANOPY_ALLOW_SHARED_CLUSTER_TOKEN=true)',
      };
    }
    if (record !== undefined && this.clusters.isConnected(record.id)) {
      return { ok: false, reason: `cluster ${name} is already connected` };
    }
    return { ok: true };
  }
}
