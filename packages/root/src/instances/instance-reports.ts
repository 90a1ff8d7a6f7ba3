import type { Logger } from 'pino';
import { InstanceStatus, isStatusAdvance, type InstanceReportDto } from '@canopy/schema';
import type { InstanceRecord } from '../persistence/records';
import type { Store } from '../persistence/store.port';
import type { InstancePlacer } from './instance-placer';
import { instanceId, type InstanceTransitions } from './instance-transitions';

/** Applies the status reports clusters send (change events and the statuses of a full sync). */
export class InstanceReports {
  constructor(
    private readonly store: Store,
    private readonly log: Logger,
    private readonly transitions: InstanceTransitions,
    private readonly placer: InstancePlacer,
  ) {}

  /**
   * A status report from a cluster, either a change event or part of a full sync. Check and write
   * happen in one transaction, so two reports for one instance can never interleave and move its
   * status backwards.
   */
  async apply(clusterId: string, report: InstanceReportDto): Promise<void> {
    const id = instanceId(report.serviceId, report.instanceNumber);
    const applied = await this.store.transaction(async () => {
      const current = await this.store.instances.get(id);
      // Reports about instances we never made, from a cluster that does not hold them, or about a
      // generation the instance does not run (its generation is fixed when it is made) are ignored
      // here; the sync reply's desired set tells that cluster what to run.
      if (!current || current.clusterId !== clusterId || report.generation !== current.generation) {
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
        await this.transitions.transition(id, {
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
      const patch = reportedPatch(report);
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
      await this.transitions.transition(id, patch);
      return advances;
    });
    if (report.status !== InstanceStatus.CLUSTER_SCHEDULED && report.status !== InstanceStatus.REQUESTED) {
      this.placer.inFlight.release(id);
    }
    if (applied) {
      this.log.info(
        { serviceId: report.serviceId, instance: report.instanceNumber, status: report.status },
        'instance status',
      );
    }
  }
}

/** Where the report says the instance runs (node, address, container, ports), as record fields. */
function reportedPatch(report: InstanceReportDto): Partial<InstanceRecord> {
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
  return patch;
}

function changes(current: InstanceRecord, patch: Partial<InstanceRecord>): boolean {
  return (Object.keys(patch) as (keyof InstanceRecord)[]).some(
    (k) => JSON.stringify(current[k]) !== JSON.stringify(patch[k]),
  );
}
