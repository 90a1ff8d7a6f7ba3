import type { CanopyEvent } from './event-stream';
import { formatDuration } from './output';

/** Statuses after which an instance will not reach RUNNING by itself (SPEC §3). */
export const FAILURE_STATUSES = new Set([
  'FAILED',
  'DEAD',
  'TargetClusterNotFound',
  'TargetClusterNoCapacity',
  'NoActiveClusterWithCapacity',
  'NO_WORKER_CAPACITY',
  'NO_QUALIFIED_WORKER_FOUND',
]);

export type Outcome = { done: false } | { done: true; ok: true } | { done: true; ok: false; reason: string };

/** Statuses on the way to RUNNING: an instance in one of them is still moving. */
const IN_PROGRESS = new Set(['REQUESTED', 'CLUSTER_SCHEDULED', 'NODE_SCHEDULED', 'CREATING']);

/**
 * Follows instances of one service toward RUNNING: one line per status change with the time since
 * the watch began and since the instance's previous status. Pure (time comes with each call), so
 * the unit tests drive it with plain events.
 */
export class ProgressTracker {
  private readonly last = new Map<number, { status: string; at: number }>();
  private readonly running = new Set<number>();

  /**
   * @param serviceId the service watched
   * @param want how many instances must be RUNNING, or the instance numbers that must be
   * @param start when the watch began (ms)
   */
  constructor(
    private readonly serviceId: string,
    private readonly want: { count: number } | { instances: number[] },
    private readonly start: number,
  ) {}

  /** Feeds an event; returns the lines to print and whether the watch is over. */
  accept(event: CanopyEvent, now: number): { lines: string[]; outcome: Outcome } {
    if (event.type !== 'instance' || event.service_id !== this.serviceId) {
      return { lines: [], outcome: this.outcome() };
    }
    if (!this.watched(event.instance_number)) {
      return { lines: [], outcome: this.outcome() };
    }
    const previous = this.last.get(event.instance_number);
    if (previous?.status === event.status) {
      return { lines: [], outcome: this.outcome() };
    }
    this.last.set(event.instance_number, { status: event.status, at: now });
    if (event.status === 'RUNNING') {
      this.running.add(event.instance_number);
    } else {
      this.running.delete(event.instance_number);
    }
    const step = previous ? ` (+${formatDuration(now - previous.at)})` : '';
    const where = event.node !== undefined && event.status !== 'REQUESTED' ? ` on ${event.node}` : '';
    const detail = event.detail !== '' ? `  ${event.detail}` : '';
    const line = `instance ${event.instance_number}: ${event.status.padEnd(17)} ${formatDuration(now - this.start).padStart(6)}${step}${where}${detail}`;
    if (FAILURE_STATUSES.has(event.status)) {
      return {
        lines: [line],
        outcome: {
          done: true,
          ok: false,
          reason: `instance ${event.instance_number} ${event.status}: ${event.detail}`,
        },
      };
    }
    return { lines: [line], outcome: this.outcome() };
  }

  /**
   * A count is reached when exactly that many run and no other instance is still on its way up or
   * still running (scaling down waits for the extra ones to stop; scaling to 0 for all of them).
   */
  outcome(): Outcome {
    if (!('count' in this.want)) {
      return this.want.instances.every((n) => this.running.has(n)) ? { done: true, ok: true } : { done: false };
    }
    const moving = [...this.last.values()].some((l) => IN_PROGRESS.has(l.status));
    return this.running.size === this.want.count && !moving ? { done: true, ok: true } : { done: false };
  }

  /** Marks an instance RUNNING already (scale: the ones that run before the watch began). */
  seed(instanceNumber: number, status: string): void {
    this.last.set(instanceNumber, { status, at: this.start });
    if (status === 'RUNNING') {
      this.running.add(instanceNumber);
    }
  }

  private watched(n: number): boolean {
    return 'count' in this.want || this.want.instances.includes(n);
  }
}
