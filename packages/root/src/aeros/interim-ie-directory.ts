import { Injectable } from '@nestjs/common';
import { ClustersService } from '../clusters/clusters.service';
import type { IeDirectory, IeResolution } from './ie-directory';

/**
 * Until clusters report their nodes as IEs: the hostname (or the id's last segment) on the first
 * active cluster. Replaced by the clusters' IE registry.
 */
@Injectable()
export class InterimIeDirectory implements IeDirectory {
  constructor(private readonly clusters: ClustersService) {}

  async resolveInfrastructureElement(ref: string | { id?: string; hostname?: string }): Promise<IeResolution> {
    const [cluster] = await this.clusters.list(true);
    const id = typeof ref === 'string' ? ref : (ref.id ?? '');
    const hostname =
      typeof ref === 'string' ? (ref.split(':').pop() ?? ref) : ref.hostname || (id.split(':').pop() ?? id);
    if (!cluster) {
      return { ok: false, message: 'no cluster is connected' };
    }
    return { ok: true, ie: { id: id || hostname, hostname, clusterId: cluster.id, clusterName: cluster.cluster_name } };
  }
}
