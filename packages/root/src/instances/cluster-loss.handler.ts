import type { Logger } from 'pino';
import { InstanceStatus } from '@canopy/schema';
import type { RootConfig } from '../config/root-config';
import type { ClustersService } from '../clusters/clusters.service';
import type { Store } from '../persistence/store.port';
import { requestsOf } from '../scheduling/root-scheduler';
import type { InstancePlacer } from './instance-placer';
import type { InstanceTransitions } from './instance-transitions';

/** Runs `fn` under the service's lock (the replicas reconciler's, so the two never interleave). */
export type ServiceLock = (serviceId: string, fn: () => Promise<void>) => Promise<void>;

/** Statuses a silent cluster does not change: the instance already ended or already says it is dead. */
const KEEP_WHEN_SILENT: ReadonlySet<InstanceStatus> = new Set<InstanceStatus>([
  InstanceStatus.FAILED,
  InstanceStatus.COMPLETED,
  InstanceStatus.DEAD,
  InstanceStatus.UNDEPLOYED,
]);

export function removedWhileSilent(cluster: string): string {
  return `removed at the root while cluster ${cluster} is not reporting; the cluster removes the container when it returns`;
}

/** What the root does to the instances of a cluster that went silent (suspect) and stayed silent (lost). */
export class ClusterLossHandler {
  constructor(
    private readonly store: Store,
    private readonly log: Logger,
    private readonly config: RootConfig,
    private readonly clusters: ClustersService,
    private readonly transitions: InstanceTransitions,
    private readonly placer: InstancePlacer,
  ) {}

  async clusterName(clusterId: string): Promise<string> {
    return (await this.clusters.get(clusterId))?.name ?? clusterId;
  }

  /**
   * A cluster went silent for CLUSTER_SUSPECT_MS: its instances say so (DEAD, with a detail a user
   * understands) and keep their records; a report from the cluster brings them back. Removals it
   * could not confirm complete at the root. Must run under the service locks of what it touches
   * (the caller holds none: it is per instance).
   */
  async suspected(clusterId: string, silentMs: number, lock: ServiceLock): Promise<void> {
    const name = await this.clusterName(clusterId);
    for (const held of await this.store.instances.find({ clusterId })) {
      await lock(held.serviceId, async () => {
        const i = await this.store.instances.get(held.id);
        if (!i || i.clusterId !== clusterId) {
          return;
        }
        if (i.desired === 'deleted') {
          if (i.status !== InstanceStatus.UNDEPLOYED) {
            await this.transitions.transition(i.id, {
              status: InstanceStatus.UNDEPLOYED,
              statusDetail: removedWhileSilent(name),
            });
          }
          return;
        }
        if (KEEP_WHEN_SILENT.has(i.status)) {
          return;
        }
        await this.transitions.transition(i.id, {
          status: InstanceStatus.DEAD,
          statusDetail:
            `cluster ${name} stopped reporting ${Math.round(silentMs / 1000)} s ago; the instance is placed on ` +
            `another cluster if it stays silent for ${Math.round(this.config.clusterLostMs / 1000)} s`,
        });
      });
    }
    this.log.warn({ clusterId, cluster: name, silentMs }, 'cluster suspect: stopped reporting');
  }

  /**
   * A cluster silent for CLUSTER_LOST_MS: each of its desired instances is placed on another cluster
   * that fits (same instance number, a new epoch); one that fits nowhere stays assigned to it, DEAD
   * and saying why, and is tried again on the next call. The lost cluster's sync no longer lists
   * what moved, so a returning cluster removes those containers.
   */
  async lost(clusterId: string, lock: ServiceLock): Promise<number> {
    const name = await this.clusterName(clusterId);
    let moved = 0;
    for (const held of await this.store.instances.find({ clusterId, desired: 'running' })) {
      await lock(held.serviceId, async () => {
        const i = await this.store.instances.get(held.id);
        const service = await this.store.services.get(held.serviceId);
        if (!i || !service || i.clusterId !== clusterId || i.desired !== 'running') {
          return;
        }
        if (i.status === InstanceStatus.COMPLETED) {
          return;
        }
        const sla = i.sla ?? service.sla;
        const others = (await this.clusters.candidates()).filter((c) => c.id !== clusterId);
        const choice = await this.placer.choose(service, i, others);
        if (!choice.ok) {
          const detail = `cluster ${name} is lost (silent for over ${Math.round(this.config.clusterLostMs / 1000)} s); no other cluster can take the instance yet: ${choice.detail}`;
          if (i.statusDetail !== detail || i.status !== InstanceStatus.DEAD) {
            await this.transitions.transition(i.id, { status: InstanceStatus.DEAD, statusDetail: detail });
          }
          return;
        }
        this.placer.inFlight.reserve(i.id, choice.clusterId, requestsOf(sla));
        const placed = await this.transitions.transition(i.id, {
          status: InstanceStatus.CLUSTER_SCHEDULED,
          statusDetail: `placed again: cluster ${name} was lost`,
          clusterId: choice.clusterId,
          epoch: (i.epoch ?? 0) + 1,
          nodeId: undefined,
          nodeName: undefined,
          containerId: undefined,
          publicIp: undefined,
          hostPorts: [],
        });
        moved++;
        this.log.warn(
          { serviceId: i.serviceId, instance: i.instanceNumber, from: clusterId, clusterId: choice.clusterId },
          'instance of a lost cluster placed again',
        );
        await this.placer.sendDeploy(choice.clusterId, service, placed);
      });
    }
    return moved;
  }
}
