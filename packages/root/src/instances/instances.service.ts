import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import {
  InstanceStatus,
  type InstanceReportDto,
  type InstanceSpecDto,
  ConflictError,
  NotFoundError,
  UpstreamUnavailableError,
} from '@canopy/schema';
import { CLOCK, LOGGER, ROOT_CONFIG, type Clock } from '../common/tokens';
import type { RootConfig } from '../config/root-config';
import { ClustersService } from '../clusters/clusters.service';
import type { InstanceRecord, ServiceRecord } from '../persistence/records';
import { STORE, type Store } from '../persistence/store.port';
import { ClusterLossHandler, removedWhileSilent, type ServiceLock } from './cluster-loss.handler';
import { InstancePlacer } from './instance-placer';
import { InstanceReports } from './instance-reports';
import { InstanceTransitions, instanceId } from './instance-transitions';

export { instanceId } from './instance-transitions';
export type { ServiceLock } from './cluster-loss.handler';

/**
 * The root's instance lifecycle: it owns which instances of which service exist and in which
 * cluster (SPEC §2). Commands make things fast; the clusters' periodic sync makes them correct,
 * so a command lost on the wire is healed by `syncCluster`. Writes go through `InstanceTransitions`,
 * placement through `InstancePlacer`, cluster reports through `InstanceReports` and a silent
 * cluster through `ClusterLossHandler`.
 */
@Injectable()
export class InstancesService {
  private readonly transitions: InstanceTransitions;
  private readonly placer: InstancePlacer;
  private readonly reports: InstanceReports;
  private readonly loss: ClusterLossHandler;

  constructor(
    @Inject(STORE) private readonly store: Store,
    @Inject(LOGGER) private readonly log: Logger,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(ROOT_CONFIG) config: RootConfig,
    private readonly clusters: ClustersService,
  ) {
    this.transitions = new InstanceTransitions(store, clock);
    this.placer = new InstancePlacer(store, log, config, clusters, this.transitions);
    this.reports = new InstanceReports(store, log, this.transitions, this.placer);
    this.loss = new ClusterLossHandler(store, log, config, clusters, this.transitions, this.placer);
  }

  /** Called after an instance's status changed (the replicas reconciler reacts to RUNNING). */
  onStatusChange(listener: (serviceId: string, status: InstanceStatus) => void): void {
    this.transitions.onStatusChange(listener);
  }

  /** Called after any write to an instance record (status, placement, desired state), with the record as written. */
  onInstanceChange(listener: (instance: InstanceRecord) => void): void {
    this.transitions.onInstanceChange(listener);
  }

  /** Tries again to place an instance the root could not hand to any cluster. */
  async retryPlacement(service: ServiceRecord, instanceNumber: number): Promise<InstanceRecord> {
    const instance = await this.store.instances.get(instanceId(service.id, instanceNumber));
    if (!instance) {
      throw new NotFoundError('instance', `${instanceNumber} of service ${service.id}`);
    }
    return this.placer.place(service, instance);
  }

  async listForService(serviceId: string): Promise<InstanceRecord[]> {
    return this.store.instances.find({ serviceId });
  }

  /** Creates the next instance of a service and tries to place it. */
  async deploy(service: ServiceRecord): Promise<InstanceRecord> {
    const instance = await this.store.transaction(async () => {
      const fresh = await this.store.services.get(service.id);
      if (!fresh) {
        throw new NotFoundError('service', service.id);
      }
      const n = fresh.nextInstance;
      await this.store.services.update({ ...fresh, nextInstance: n + 1 });
      const now = this.clock.now().toISOString();
      return this.store.instances.insert({
        id: instanceId(fresh.id, n),
        ownerId: fresh.ownerId,
        serviceId: fresh.id,
        instanceNumber: n,
        generation: fresh.generation,
        sla: fresh.sla,
        desired: 'running',
        status: InstanceStatus.REQUESTED,
        statusDetail: 'waiting for a cluster',
        hostPorts: [],
        history: [{ status: InstanceStatus.REQUESTED, at: now }],
      });
    });
    return this.placer.place(service, instance);
  }

  /** Marks an instance for removal and tells its cluster. */
  async undeploy(service: ServiceRecord, instanceNumber: number): Promise<InstanceRecord> {
    const current = await this.store.instances.get(instanceId(service.id, instanceNumber));
    if (!current || (current.desired === 'deleted' && current.status === InstanceStatus.UNDEPLOYED)) {
      throw new NotFoundError('instance', `${instanceNumber} of service ${service.id}`);
    }
    const reachedCluster = current.clusterId !== undefined;
    // A cluster that stopped reporting cannot confirm the removal: it completes at the root now, and
    // the cluster's next sync (which no longer lists the instance) removes the container.
    const silent =
      current.clusterId !== undefined && this.clusters.state(current.clusterId) !== 'live'
        ? await this.loss.clusterName(current.clusterId)
        : undefined;
    const marked = await this.transition(
      current.id,
      silent !== undefined
        ? { desired: 'deleted', status: InstanceStatus.UNDEPLOYED, statusDetail: removedWhileSilent(silent) }
        : reachedCluster
          ? { desired: 'deleted', statusDetail: 'undeploy requested' }
          : { desired: 'deleted', status: InstanceStatus.UNDEPLOYED, statusDetail: 'undeployed before placement' },
    );
    this.placer.inFlight.release(current.id);
    if (reachedCluster && current.clusterId) {
      const ack = await this.clusters.sendDelete(current.clusterId, {
        serviceId: service.id,
        instanceNumber,
        generation: current.generation,
      });
      if (!ack.ok) {
        this.log.warn(
          { clusterId: current.clusterId, error: ack.error },
          'delete not acknowledged; the next sync delivers it',
        );
      }
    }
    return marked;
  }

  /** An instance that ended without being asked: no longer wanted, so the replicas planner replaces it. */
  async retire(service: ServiceRecord, instanceNumber: number): Promise<InstanceRecord> {
    const id = instanceId(service.id, instanceNumber);
    this.placer.inFlight.release(id);
    return this.transition(id, {
      desired: 'deleted',
      statusDetail: 'ended without being asked; a new instance replaces it',
    });
  }

  /** The tail of an instance's container log, fetched through its cluster from its node. */
  async logs(service: ServiceRecord, instanceNumber: number, tail: number): Promise<string[]> {
    const instance = await this.store.instances.get(instanceId(service.id, instanceNumber));
    if (!instance || instance.desired === 'deleted') {
      throw new NotFoundError('instance', `${instanceNumber} of service ${service.id}`);
    }
    if (!instance.clusterId || !instance.nodeId) {
      throw new ConflictError(
        `instance ${instanceNumber} has no container yet (status ${instance.status})`,
        [],
        'INSTANCE_NOT_STARTED',
      );
    }
    const reply = await this.clusters.requestLogs(instance.clusterId, {
      serviceId: service.id,
      instanceNumber,
      generation: instance.generation,
      tail,
    });
    if (!reply.ok) {
      throw new UpstreamUnavailableError(`logs unavailable: ${reply.error}`);
    }
    return reply.lines;
  }

  /** A status report from a cluster: see `InstanceReports.apply`. */
  async applyReport(clusterId: string, report: InstanceReportDto): Promise<void> {
    return this.reports.apply(clusterId, report);
  }

  /**
   * A cluster's full report: apply every status, answer with everything it should run. Failed
   * instances stay in the set (keeping their record and reservation until the user deletes them);
   * one the cluster could not place is tried again there.
   */
  async syncCluster(clusterId: string, reports: InstanceReportDto[]): Promise<InstanceSpecDto[]> {
    for (const report of reports) {
      await this.applyReport(clusterId, report);
    }
    const assigned = await this.store.instances.find({ clusterId, desired: 'running' });
    const services = new Map<string, ServiceRecord | undefined>();
    const desired: InstanceSpecDto[] = [];
    for (const instance of assigned) {
      if (!services.has(instance.serviceId)) {
        services.set(instance.serviceId, await this.store.services.get(instance.serviceId));
      }
      const service = services.get(instance.serviceId);
      if (service) {
        desired.push(this.placer.specOf(service, instance));
      }
    }
    return desired;
  }

  /** A cluster went silent for CLUSTER_SUSPECT_MS: see `ClusterLossHandler.suspected`. */
  async clusterSuspected(clusterId: string, silentMs: number, lock: ServiceLock): Promise<void> {
    return this.loss.suspected(clusterId, silentMs, lock);
  }

  /** A cluster silent for CLUSTER_LOST_MS: see `ClusterLossHandler.lost`. */
  async clusterLost(clusterId: string, lock: ServiceLock): Promise<number> {
    return this.loss.lost(clusterId, lock);
  }

  private async transition(id: string, patch: Partial<InstanceRecord>): Promise<InstanceRecord> {
    return this.transitions.transition(id, patch);
  }
}
