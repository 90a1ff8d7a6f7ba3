import { NotFoundError, type InstanceStatus } from '@canopy/schema';
import type { Clock } from '../common/tokens';
import type { InstanceRecord } from '../persistence/records';
import type { Store } from '../persistence/store.port';

export function instanceId(serviceId: string, instanceNumber: number): string {
  return `${serviceId}.${instanceNumber}`;
}

/**
 * Every write to an instance record goes through `transition`: read-modify-write in one
 * transaction, status changes recorded in the history, and the listeners told once the write is
 * visible.
 */
export class InstanceTransitions {
  private readonly statusListeners: ((serviceId: string, status: InstanceStatus) => void)[] = [];
  private readonly changeListeners: ((instance: InstanceRecord) => void)[] = [];

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
  ) {}

  onStatusChange(listener: (serviceId: string, status: InstanceStatus) => void): void {
    this.statusListeners.push(listener);
  }

  onInstanceChange(listener: (instance: InstanceRecord) => void): void {
    this.changeListeners.push(listener);
  }

  /** Read-modify-write of one instance, recording status changes in its history. */
  async transition(id: string, patch: Partial<InstanceRecord>): Promise<InstanceRecord> {
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
