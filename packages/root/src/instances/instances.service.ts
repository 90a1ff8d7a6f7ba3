import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import {
  InstanceStatus,
  isStatusAdvance,
  microserviceToInstanceSpec,
  type InstanceReportDto,
  type InstanceSpecDto,
  ConflictError,
  NotFoundError,
  UpstreamUnavailableError,
} from '@canopy/schema';
import { ReservationLedger } from '@canopy/scheduler';
import { CLOCK, LOGGER, ROOT_CONFIG, type Clock } from '../common/tokens';
import type { RootConfig } from '../config/root-config';
import { ClustersService } from '../clusters/clusters.service';
import type { InstanceRecord, ServiceRecord } from '../persistence/records';
import { STORE, type Store } from '../persistence/store.port';
import { chooseCluster, requestsOf } from '../scheduling/root-scheduler';

export function instanceId(serviceId: string, instanceNumber: number): string {
  return `${serviceId}.${instanceNumber}`;
}

/**
 * The root's instance lifecycle: it owns which instances of which service exist and in which
 * cluster (SPEC §2). Commands make things fast; the clusters' periodic sync makes them correct,
 * so a command lost on the wire is healed by `syncCluster`.
 */
@Injectable()
export class InstancesService {
  /** Instances sent to a cluster whose placement no resource report reflects yet. */
  private readonly inFlight = new ReservationLedger();
  private readonly statusListeners: ((serviceId: string, status: InstanceStatus) => void)[] = [];
  private readonly changeListeners: ((instance: InstanceRecord) => void)[] = [];

  constructor(
    @Inject(STORE) private readonly store: Store,
    @Inject(LOGGER) private readonly log: Logger,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(ROOT_CONFIG) private readonly config: RootConfig,
    private readonly clusters: ClustersService,
  ) {}

  /** Called after an instance's status changed (the replicas reconciler reacts to RUNNING). */
  onStatusChange(listener: (serviceId: string, status: InstanceStatus) => void): void {
    this.statusListeners.push(listener);
  }

  /** Called after any write to an instance record (status, placement, desired state), with the record as written. */
  onInstanceChange(listener: (instance: InstanceRecord) => void): void {
    this.changeListeners.push(listener);
  }

  /** Tries again to place an instance the root could not hand to any cluster. */
  async retryPlacement(service: ServiceRecord, instanceNumber: number): Promise<InstanceRecord> {
    const instance = await this.store.instances.get(instanceId(service.id, instanceNumber));
    if (!instance) {
      throw new NotFoundError('instance', `${instanceNumber} of service ${service.id}`);
    }
    return this.place(service, instance);
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
    return this.place(service, instance);
  }

  private async place(service: ServiceRecord, instance: InstanceRecord): Promise<InstanceRecord> {
    const sla = instance.sla ?? service.sla;
    const choice = chooseCluster(
      await this.clusters.candidates(),
      this.inFlight.reserved,
      sla,
      this.config.placementPolicy,
    );
    if (!choice.ok) {
      this.log.warn(
        { serviceId: service.id, instance: instance.instanceNumber, status: choice.status },
        'instance not placed',
      );
      return this.transition(instance.id, { status: choice.status, statusDetail: choice.detail });
    }
    const key = instanceId(service.id, instance.instanceNumber);
    this.inFlight.reserve(key, choice.clusterId, requestsOf(sla));
    const placed = await this.transition(instance.id, {
      status: InstanceStatus.CLUSTER_SCHEDULED,
      statusDetail: 'sent to cluster',
      clusterId: choice.clusterId,
    });
    this.log.info(
      { serviceId: service.id, instance: instance.instanceNumber, clusterId: choice.clusterId },
      'instance placed on cluster',
    );
    const ack = await this.clusters.sendDeploy(choice.clusterId, this.specOf(service, placed));
    // A failed send is not a failed instance: the cluster's next sync receives the desired set.
    if (!ack.ok) {
      this.log.warn(
        { clusterId: choice.clusterId, error: ack.error },
        'deploy not acknowledged; the next sync delivers it',
      );
    }
    return (await this.store.instances.get(placed.id)) ?? placed;
  }

  /** Marks an instance for removal and tells its cluster. */
  async undeploy(service: ServiceRecord, instanceNumber: number): Promise<InstanceRecord> {
    const current = await this.store.instances.get(instanceId(service.id, instanceNumber));
    if (!current || (current.desired === 'deleted' && current.status === InstanceStatus.UNDEPLOYED)) {
      throw new NotFoundError('instance', `${instanceNumber} of service ${service.id}`);
    }
    const reachedCluster = current.clusterId !== undefined;
    const marked = await this.transition(
      current.id,
      reachedCluster
        ? { desired: 'deleted', statusDetail: 'undeploy requested' }
        : { desired: 'deleted', status: InstanceStatus.UNDEPLOYED, statusDetail: 'undeployed before placement' },
    );
    this.inFlight.release(current.id);
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

  /**
   * A status report from a cluster, either a change event or part of a full sync. Check and write
   * happen in one transaction, so two reports for one instance can never interleave and move its
   * status backwards.
   */
  async applyReport(clusterId: string, report: InstanceReportDto): Promise<void> {
    const id = instanceId(report.serviceId, report.instanceNumber);
    const applied = await this.store.transaction(async () => {
      const current = await this.store.instances.get(id);
      // Reports about instances we never made, or from a cluster that does not hold them, are
      // ignored here; the sync reply's desired set tells that cluster to drop them.
      if (!current || current.clusterId !== clusterId || report.generation < current.generation) {
        return false;
      }
      if (current.desired === 'deleted' && report.status !== InstanceStatus.UNDEPLOYED) {
        return false;
      }
      const patch: Partial<InstanceRecord> = {};
      if (report.nodeId !== undefined) {
        patch.nodeId = report.nodeId;
      }
      if (report.nodeName !== undefined) {
        patch.nodeName = report.nodeName;
      }
      if (report.publicIp !== undefined) {
        patch.publicIp = report.publicIp;
      }
      if (report.containerId !== undefined) {
        patch.containerId = report.containerId;
      }
      if (report.hostPorts !== undefined) {
        patch.hostPorts = report.hostPorts.map((p) => ({
          container_port: p.containerPort,
          host_port: p.hostPort,
          protocol: p.protocol,
        }));
      }
      const advances = isStatusAdvance(current.status, report.status);
      if (advances) {
        patch.status = report.status;
        patch.statusDetail = report.status_detail ?? '';
      }
      if (!advances && !changes(current, patch)) {
        return false;
      }
      await this.transition(id, patch);
      return advances;
    });
    if (report.status !== InstanceStatus.CLUSTER_SCHEDULED && report.status !== InstanceStatus.REQUESTED) {
      this.inFlight.release(id);
    }
    if (applied) {
      this.log.info(
        { serviceId: report.serviceId, instance: report.instanceNumber, status: report.status },
        'instance status',
      );
    }
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
        desired.push(this.specOf(service, instance));
      }
    }
    return desired;
  }

  /** An instance runs the spec of its own generation, even while a rollout moves the service on. */
  private specOf(service: ServiceRecord, instance: InstanceRecord): InstanceSpecDto {
    return microserviceToInstanceSpec(
      instance.sla ?? service.sla,
      { serviceId: service.id, instanceNumber: instance.instanceNumber, generation: instance.generation },
      service.jobName,
    );
  }

  /** Read-modify-write of one instance, recording status changes in its history. */
  private async transition(id: string, patch: Partial<InstanceRecord>): Promise<InstanceRecord> {
    return this.store.transaction(async () => {
      const current = await this.store.instances.get(id);
      if (!current) {
        throw new NotFoundError('instance', id);
      }
      const next: InstanceRecord = { ...current, ...patch };
      if (patch.status !== undefined && patch.status !== current.status) {
        const entry = { status: patch.status, at: this.clock.now().toISOString() };
        next.history = [
          ...current.history,
          patch.statusDetail ? { ...entry, detail: patch.statusDetail } : entry,
        ].slice(-50);
      }
      const written = await this.store.instances.update(next);
      // After the write is visible; listeners only schedule their own work.
      setImmediate(() => this.notify(written, patch.status !== undefined && patch.status !== current.status));
      return written;
    });
  }

  private notify(instance: InstanceRecord, statusChanged: boolean): void {
    for (const listener of this.changeListeners) {
      listener(instance);
    }
    if (statusChanged) {
      for (const listener of this.statusListeners) {
        listener(instance.serviceId, instance.status);
      }
    }
  }
}

function changes(current: InstanceRecord, patch: Partial<InstanceRecord>): boolean {
  return (Object.keys(patch) as (keyof InstanceRecord)[]).some(
    (k) => JSON.stringify(current[k]) !== JSON.stringify(patch[k]),
  );
}
