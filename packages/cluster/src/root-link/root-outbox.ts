import { Injectable } from '@nestjs/common';
import {
  instanceKeyString,
  type InstanceReportDto,
  type InstanceUsageDto,
  type InstanceUsageEntry,
} from '@canopy/schema';

/**
 * What waits to go up to the root: the latest status per instance (an unsent older status is
 * superseded by a newer one) and a "resources changed" signal. Decouples the domain from the link,
 * so statuses raised while the root is unreachable are delivered after the reconnect.
 */
@Injectable()
export class RootOutbox {
  private readonly pending = new Map<string, InstanceReportDto>();
  /** Latest measured usage per instance, sent with the next heartbeat (a sample: lost ones are not resent). */
  private readonly usagePending = new Map<string, InstanceUsageEntry>();
  private listener: (() => void) | undefined;
  private resourcesListener: (() => void) | undefined;

  report(report: InstanceReportDto): void {
    this.pending.set(instanceKeyString(report), report);
    this.listener?.();
  }

  /** Keeps the latest CPU/memory of each instance a node measured; entries without a figure are skipped. */
  usage(instances: readonly InstanceUsageDto[], at: number): void {
    for (const i of instances) {
      if (i.cpuPercent === undefined && i.memoryMb === undefined) {
        continue;
      }
      this.usagePending.set(instanceKeyString(i), {
        serviceId: i.serviceId,
        instanceNumber: i.instanceNumber,
        generation: i.generation,
        ...(i.cpuPercent === undefined ? {} : { cpuPercent: i.cpuPercent }),
        ...(i.memoryMb === undefined ? {} : { memoryMb: i.memoryMb }),
        at,
      });
    }
  }

  /** Everything measured since the last call, and forgets it. */
  takeUsage(): InstanceUsageEntry[] {
    const out = [...this.usagePending.values()];
    this.usagePending.clear();
    return out;
  }

  resourcesChanged(): void {
    this.resourcesListener?.();
  }

  /** Oldest first. */
  snapshot(): InstanceReportDto[] {
    return [...this.pending.values()];
  }

  /** Drops a delivered report unless a newer one for the same instance replaced it meanwhile. */
  delivered(report: InstanceReportDto): void {
    const key = instanceKeyString(report);
    if (this.pending.get(key) === report) {
      this.pending.delete(key);
    }
  }

  get size(): number {
    return this.pending.size;
  }

  onReport(listener: () => void): void {
    this.listener = listener;
  }

  onResourcesChanged(listener: () => void): void {
    this.resourcesListener = listener;
  }
}
