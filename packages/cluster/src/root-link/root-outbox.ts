import { Injectable } from '@nestjs/common';
import {
  instanceKeyString,
  type InstanceReportDto,
  type InstanceUsageDto,
  type InstanceUsageEntry,
} from '@canopy/schema';

/** Status changes kept per instance while the root is away; older ones are summarised. */
export const OUTBOX_CHANGES_PER_INSTANCE = 32;

/**
 * What waits to go up to the root: every status transition of every instance, in order (SPEC §10:
 * a crash and restart during a root outage must reach the root's history), and a "resources
 * changed" signal. A report with the same status as the one queued before it replaces it (a new
 * detail or container id, not a transition). Per instance at most
 * {@link OUTBOX_CHANGES_PER_INSTANCE} wait; beyond that the oldest are dropped and the oldest kept
 * one says how many and which. Decouples the domain from the link.
 */
@Injectable()
export class RootOutbox {
  private readonly pending = new Map<string, InstanceReportDto[]>();
  private count = 0;
  /** Latest measured usage per instance, sent with the next heartbeat (a sample: lost ones are not resent). */
  private readonly usagePending = new Map<string, InstanceUsageEntry>();
  private listener: (() => void) | undefined;
  private resourcesListener: (() => void) | undefined;

  report(report: InstanceReportDto): void {
    const key = instanceKeyString(report);
    const queue = this.pending.get(key) ?? [];
    this.pending.set(key, queue);
    const last = queue.at(-1);
    if (last !== undefined && last.status === report.status) {
      queue[queue.length - 1] = report;
    } else {
      queue.push(report);
      this.count++;
    }
    if (queue.length > OUTBOX_CHANGES_PER_INSTANCE) {
      this.summarise(queue);
    }
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

  /** Every waiting report; per instance oldest first. */
  snapshot(): InstanceReportDto[] {
    return [...this.pending.values()].flat();
  }

  /** Drops a delivered report (unless it was replaced or summarised meanwhile: then the newer one goes too). */
  delivered(report: InstanceReportDto): void {
    const key = instanceKeyString(report);
    const queue = this.pending.get(key);
    const at = queue?.indexOf(report) ?? -1;
    if (queue === undefined || at < 0) {
      return;
    }
    queue.splice(at, 1);
    this.count--;
    if (queue.length === 0) {
      this.pending.delete(key);
    }
  }

  get size(): number {
    return this.count;
  }

  onReport(listener: () => void): void {
    this.listener = listener;
  }

  onResourcesChanged(listener: () => void): void {
    this.resourcesListener = listener;
  }

  /** Folds the two oldest changes into one that names what was dropped. */
  private summarise(queue: InstanceReportDto[]): void {
    const dropped = queue.shift();
    const head = queue[0];
    if (dropped === undefined || head === undefined) {
      return;
    }
    this.count--;
    const earlier = /^\((\d+) earlier changes not kept while the root was away, last (\S+)\) /.exec(
      dropped.status_detail ?? '',
    );
    const n = Number(earlier?.[1] ?? 0) + 1;
    const rest = head.status_detail ?? '';
    const detail = `(${n} earlier changes not kept while the root was away, last ${dropped.status}) ${rest}`;
    queue[0] = { ...head, status_detail: detail.slice(0, 2048) };
  }
}
