import { Injectable } from '@nestjs/common';
import { instanceKeyString, type InstanceReportDto } from '@canopy/schema';

/**
 * What waits to go up to the root: the latest status per instance (an unsent older status is
 * superseded by a newer one) and a "resources changed" signal. Decouples the domain from the link,
 * so statuses raised while the root is unreachable are delivered after the reconnect.
 */
@Injectable()
export class RootOutbox {
  private readonly pending = new Map<string, InstanceReportDto>();
  private listener: (() => void) | undefined;
  private resourcesListener: (() => void) | undefined;

  report(report: InstanceReportDto): void {
    this.pending.set(instanceKeyString(report), report);
    this.listener?.();
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
