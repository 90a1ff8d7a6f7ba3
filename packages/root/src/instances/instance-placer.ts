import type { Logger } from 'pino';
import { InstanceStatus, microserviceToInstanceSpec, type InstanceSpecDto } from '@canopy/schema';
import { ReservationLedger } from '@canopy/scheduler';
import type { RootConfig } from '../config/root-config';
import type { ClustersService } from '../clusters/clusters.service';
import type { InstanceRecord, ServiceRecord } from '../persistence/records';
import type { Store } from '../persistence/store.port';
import { chooseCluster, requestsOf, type ClusterCandidate, type ClusterChoice } from '../scheduling/root-scheduler';
import { instanceId, type InstanceTransitions } from './instance-transitions';

/**
 * Puts instances on clusters: chooses one (the root scheduler, with the spread of the service's
 * other replicas and what is in flight), records the placement and sends the deploy. Instances
 * sent to a cluster whose placement no resource report reflects yet stay reserved in `inFlight`.
 */
export class InstancePlacer {
  readonly inFlight = new ReservationLedger();

  constructor(
    private readonly store: Store,
    private readonly log: Logger,
    private readonly config: RootConfig,
    private readonly clusters: ClustersService,
    private readonly transitions: InstanceTransitions,
  ) {}

  async place(service: ServiceRecord, instance: InstanceRecord): Promise<InstanceRecord> {
    const sla = instance.sla ?? service.sla;
    const choice = await this.choose(service, instance, await this.clusters.candidates());
    if (!choice.ok) {
      this.log.warn(
        { serviceId: service.id, instance: instance.instanceNumber, status: choice.status },
        'instance not placed',
      );
      return this.transitions.transition(instance.id, { status: choice.status, statusDetail: choice.detail });
    }
    const key = instanceId(service.id, instance.instanceNumber);
    this.inFlight.reserve(key, choice.clusterId, requestsOf(sla));
    const placed = await this.transitions.transition(instance.id, {
      status: InstanceStatus.CLUSTER_SCHEDULED,
      statusDetail: 'sent to cluster',
      clusterId: choice.clusterId,
      epoch: (instance.epoch ?? 0) + 1,
    });
    this.log.info(
      { serviceId: service.id, instance: instance.instanceNumber, clusterId: choice.clusterId },
      'instance placed on cluster',
    );
    await this.sendDeploy(choice.clusterId, service, placed);
    return (await this.store.instances.get(placed.id)) ?? placed;
  }

  /** The scheduler's choice among `candidates` for one instance of the service. */
  async choose(
    service: ServiceRecord,
    instance: InstanceRecord,
    candidates: readonly ClusterCandidate[],
  ): Promise<ClusterChoice> {
    return chooseCluster(
      candidates,
      this.inFlight.reserved,
      instance.sla ?? service.sla,
      this.config.placementPolicy,
      await this.spreadOf(service.id, instance.id),
    );
  }

  /** Sends a placed instance's spec. A failed send is not a failed instance: the cluster's next sync receives the desired set. */
  async sendDeploy(clusterId: string, service: ServiceRecord, placed: InstanceRecord): Promise<void> {
    const ack = await this.clusters.sendDeploy(clusterId, this.specOf(service, placed));
    if (!ack.ok) {
      this.log.warn({ clusterId, error: ack.error }, 'deploy not acknowledged; the next sync delivers it');
    }
  }

  /** An instance runs the spec of its own generation, even while a rollout moves the service on. */
  specOf(service: ServiceRecord, instance: InstanceRecord): InstanceSpecDto {
    const spec = microserviceToInstanceSpec(
      instance.sla ?? service.sla,
      { serviceId: service.id, instanceNumber: instance.instanceNumber, generation: instance.generation },
      service.jobName,
    );
    if (instance.epoch !== undefined) {
      spec.epoch = instance.epoch;
    }
    return spec;
  }

  /** How many live instances of the service each cluster holds, besides `exceptId`: replicas spread. */
  private async spreadOf(serviceId: string, exceptId: string): Promise<Map<string, number>> {
    const counts = new Map<string, number>();
    for (const i of await this.store.instances.find({ serviceId, desired: 'running' })) {
      if (i.id === exceptId || i.clusterId === undefined) {
        continue;
      }
      counts.set(i.clusterId, (counts.get(i.clusterId) ?? 0) + 1);
    }
    return counts;
  }
}
