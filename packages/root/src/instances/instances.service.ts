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
      await this.spreadOf(service.id, instance.id),
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
      epoch: (instance.epoch ?? 0) + 1,
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
    // A cluster that stopped reporting cannot confirm the removal: it completes at the root now, and
    // the cluster's next sync (which no longer lists the instance) removes the container.
    const silent =
      current.clusterId !== undefined && this.clusters.state(current.clusterId) !== 'live'
        ? await this.clusterName(current.clusterId)
        : undefined;
    const marked = await this.transition(
      current.id,
      silent !== undefined
        ? { desired: 'deleted', status: InstanceStatus.UNDEPLOYED, statusDetail: removedWhileSilent(silent) }
        : reachedCluster
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

  /** An instance that ended without being asked: no longer wanted, so the replicas planner replaces it. */
  async retire(service: ServiceRecord, instanceNumber: number): Promise<InstanceRecord> {
    const id = instanceId(service.id, instanceNumber);
    this.inFlight.release(id);
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
      // News about an older placement (a cluster that echoes the epoch it was given) never changes a newer one.
      if (report.epoch !== undefined && report.epoch < (current.epoch ?? 0)) {
        return false;
      }
      if (current.desired === 'deleted' && report.status !== InstanceStatus.UNDEPLOYED) {
        return false;
      }
      // (A one-shot instance that COMPLETED has done its work: its removal replaces nothing.)
      if (
        current.desired === 'running' &&
        report.status === InstanceStatus.UNDEPLOYED &&
        current.status !== InstanceStatus.COMPLETED
      ) {
        // Ended without being asked (e.g. a cluster dropped it when its node was lost): count it as
        // missing, so the replicas planner replaces it, instead of showing UNDEPLOYED while desired.
        const why = report.status_detail ? `: ${report.status_detail}` : '';
        await this.transition(id, {
          desired: 'deleted',
          status: InstanceStatus.UNDEPLOYED,
          statusDetail: `the cluster removed the instance without being asked${why}; a new instance replaces it`,
        });
        this.log.warn(
          { serviceId: report.serviceId, instance: report.instanceNumber, clusterId },
          'instance ended unasked',
        );
        return true;
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
      if (report.restarts !== undefined) {
        patch.restarts = report.restarts;
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
      } else if (report.status === current.status && report.status_detail !== undefined) {
        // Same status, newer detail (a lost node's instance that now stays on it, a restart count).
        patch.statusDetail = report.status_detail;
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

  private async clusterName(clusterId: string): Promise<string> {
    return (await this.clusters.get(clusterId))?.name ?? clusterId;
  }

  /**
   * A cluster went silent for CLUSTER_SUSPECT_MS: its instances say so (DEAD, with a detail a user
   * understands) and keep their records; a report from the cluster brings them back. Removals it
   * could not confirm complete at the root. Must run under the service locks of what it touches
   * (the caller holds none: it is per instance).
   */
  async clusterSuspected(clusterId: string, silentMs: number, lock: ServiceLock): Promise<void> {
    const name = await this.clusterName(clusterId);
    for (const held of await this.store.instances.find({ clusterId })) {
      await lock(held.serviceId, async () => {
        const i = await this.store.instances.get(held.id);
        if (!i || i.clusterId !== clusterId) {
          return;
        }
        if (i.desired === 'deleted') {
          if (i.status !== InstanceStatus.UNDEPLOYED) {
            await this.transition(i.id, { status: InstanceStatus.UNDEPLOYED, statusDetail: removedWhileSilent(name) });
          }
          return;
        }
        if (KEEP_WHEN_SILENT.has(i.status)) {
          return;
        }
        await this.transition(i.id, {
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
  async clusterLost(clusterId: string, lock: ServiceLock): Promise<number> {
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
        const choice = chooseCluster(
          (await this.clusters.candidates()).filter((c) => c.id !== clusterId),
          this.inFlight.reserved,
          sla,
          this.config.placementPolicy,
          await this.spreadOf(service.id, i.id),
        );
        if (!choice.ok) {
          const detail = `cluster ${name} is lost (silent for over ${Math.round(this.config.clusterLostMs / 1000)} s); no other cluster can take the instance yet: ${choice.detail}`;
          if (i.statusDetail !== detail || i.status !== InstanceStatus.DEAD) {
            await this.transition(i.id, { status: InstanceStatus.DEAD, statusDetail: detail });
          }
          return;
        }
        this.inFlight.reserve(i.id, choice.clusterId, requestsOf(sla));
        const placed = await this.transition(i.id, {
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
        const ack = await this.clusters.sendDeploy(choice.clusterId, this.specOf(service, placed));
        if (!ack.ok) {
          this.log.warn(
            { clusterId: choice.clusterId, error: ack.error },
            'deploy not acknowledged; the next sync delivers it',
          );
        }
      });
    }
    return moved;
  }

  /** Read-modify-write of one instance, recording status changes in its history. */
  private async transition(id: string, patch: Partial<InstanceRecord>): Promise<InstanceRecord> {
    return this.store.transaction(async () => {
      const current = await this.store.instances.get(id);
      if (!current) {
        throw new NotFoundError('instance', id);
      }
      const next: InstanceRecord = { ...current, ...patch };
      // A patch clears a field by setting it undefined; no store should see the key at all.
      for (const key of Object.keys(next) as (keyof InstanceRecord)[]) {
        if (next[key] === undefined) {
          delete next[key];
        }
      }
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

/** Runs `fn` under the service's lock (the replicas reconciler's, so the two never interleave). */
export type ServiceLock = (serviceId: string, fn: () => Promise<void>) => Promise<void>;

/** Statuses a silent cluster does not change: the instance already ended or already says it is dead. */
const KEEP_WHEN_SILENT: ReadonlySet<InstanceStatus> = new Set<InstanceStatus>([
  InstanceStatus.FAILED,
  InstanceStatus.COMPLETED,
  InstanceStatus.DEAD,
  InstanceStatus.UNDEPLOYED,
]);

function removedWhileSilent(cluster: string): string {
  return `removed at the root while cluster ${cluster} is not reporting; the cluster removes the container when it returns`;
}

function changes(current: InstanceRecord, patch: Partial<InstanceRecord>): boolean {
  return (Object.keys(patch) as (keyof InstanceRecord)[]).some(
    (k) => JSON.stringify(current[k]) !== JSON.stringify(patch[k]),
  );
}
