import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import type { Logger } from 'pino';
import { LOGGER } from '../common/tokens';
import type { ClusterState } from '../clusters/cluster-liveness';
import { ClustersService, LIVENESS_TICK_MS } from '../clusters/clusters.service';
import { STORE, type Store } from '../persistence/store.port';
import { InstancesService, type ServiceLock } from './instances.service';
import { ServiceLocks } from './service-locks';

/**
 * Cluster loss at the root (SPEC §10): every second, judges each cluster by its silence
 * (`ClustersService.state`). Live → suspect: its instances show DEAD with a detail. Suspect →
 * lost: its desired instances are placed on other clusters, and those that fit nowhere are tried
 * again on every tick while it stays lost. A cluster that reports again is live at once; its own
 * reports bring its instances' statuses back.
 */
@Injectable()
export class ClusterLossMonitor implements OnApplicationBootstrap, OnModuleDestroy {
  private timer: NodeJS.Timeout | undefined;
  private readonly judged = new Map<string, ClusterState>();
  private checking = false;
  private readonly lock: ServiceLock;

  constructor(
    @Inject(STORE) private readonly store: Store,
    @Inject(LOGGER) private readonly log: Logger,
    private readonly clusters: ClustersService,
    private readonly instances: InstancesService,
    locks: ServiceLocks,
  ) {
    this.lock = (serviceId, fn) => locks.run(serviceId, fn);
  }

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.check(), LIVENESS_TICK_MS);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  async check(): Promise<void> {
    if (this.checking) return;
    this.checking = true;
    try {
      const forgiven = this.clusters.tick();
      if (forgiven > 0)
        this.log.warn(
          { pausedMs: forgiven },
          'root was paused: cluster silence during the pause is not held against them',
        );
      for (const cluster of await this.store.clusters.find()) {
        const state = this.clusters.state(cluster.id);
        const before = this.judged.get(cluster.id) ?? 'live';
        this.judged.set(cluster.id, state);
        if (state === 'live') {
          if (before !== 'live')
            this.log.info({ clusterId: cluster.id, cluster: cluster.name }, 'cluster reporting again');
          continue;
        }
        if (before === 'live')
          await this.instances.clusterSuspected(cluster.id, this.clusters.silentMs(cluster.id), this.lock);
        if (state === 'lost') {
          if (before !== 'lost') this.log.warn({ clusterId: cluster.id, cluster: cluster.name }, 'cluster lost');
          await this.instances.clusterLost(cluster.id, this.lock);
        }
      }
    } catch (error) {
      this.log.error({ err: error }, 'cluster liveness check failed');
    } finally {
      this.checking = false;
    }
  }
}
