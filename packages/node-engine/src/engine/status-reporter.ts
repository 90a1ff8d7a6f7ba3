import { InstanceStatus } from '@canopy/schema/lite';
import type { Clock, InstanceKey, InstanceUsageDto, JobStatusMessage } from '@canopy/schema';
import type { InstanceUsage } from '../metrics/instance-usage.collector';
import type { InstanceRecord } from '../reconcile/engine-step';

const MAX_DETAIL = 2048;

export interface StatusReporterDeps {
  nodeId: string;
  nodeName: string;
  publicIp?: string;
  /** Sends one status change up to the cluster (`nodes/<id>/job`). Must not throw. */
  publish: (message: JobStatusMessage) => void;
  /** restarts by this node so far, for the report */
  restartsOf: (record: InstanceKey) => number;
  clock: Clock;
}

/** Turns records into the messages the cluster reads: one per change (`job`) and the full report. */
export class StatusReporter {
  constructor(private readonly deps: StatusReporterDeps) {}

  /** Records a status change (or a new detail) and sends it up. */
  update(
    record: InstanceRecord,
    change: Partial<Pick<InstanceRecord, 'status' | 'hostPorts'>>,
    detail: string | undefined,
  ): void {
    Object.assign(record, change);
    record.at = this.deps.clock.now();
    if (detail === undefined) {
      delete record.statusDetail;
    } else {
      record.statusDetail = detail.slice(0, MAX_DETAIL);
    }
    this.publish(record);
  }

  /** Sends the record as it is (at-least-once delivery: an answer may have been missed). */
  publish(record: InstanceRecord): void {
    this.deps.publish(this.message(record));
  }

  /** UNDEPLOYED for a key, whether or not the node ever had it. */
  undeployed(key: InstanceKey, jobName: string): void {
    this.deps.publish(
      this.message({
        ...key,
        jobName,
        oneShot: false,
        status: InstanceStatus.UNDEPLOYED,
        hostPorts: [],
        at: this.deps.clock.now(),
      }),
    );
  }

  /** Every instance with its current status and usage: the periodic full report. */
  snapshot(records: Iterable<InstanceRecord>, usage: ReadonlyMap<string, InstanceUsage>): InstanceUsageDto[] {
    return [...records].map((r) => {
      const { sname: _sname, instance: _instance, ...report } = this.message(r);
      const used = r.containerId === undefined ? undefined : usage.get(r.containerId);
      return {
        ...report,
        ...(used?.cpuPercent === undefined ? {} : { cpuPercent: Math.max(0, used.cpuPercent) }),
        ...(used?.memoryMb === undefined ? {} : { memoryMb: used.memoryMb }),
      };
    });
  }

  private message(record: InstanceRecord): JobStatusMessage {
    const restarts = this.deps.restartsOf(record);
    return {
      sname: record.jobName,
      instance: record.instanceNumber,
      serviceId: record.serviceId,
      instanceNumber: record.instanceNumber,
      generation: record.generation,
      status: record.status,
      ...(record.statusDetail === undefined ? {} : { status_detail: record.statusDetail }),
      nodeId: this.deps.nodeId,
      nodeName: this.deps.nodeName,
      ...(record.containerId === undefined ? {} : { containerId: record.containerId }),
      ...(this.deps.publicIp === undefined ? {} : { publicIp: this.deps.publicIp }),
      hostPorts: record.hostPorts,
      at: record.at,
      ...(restarts > 0 ? { restarts } : {}),
    };
  }
}
