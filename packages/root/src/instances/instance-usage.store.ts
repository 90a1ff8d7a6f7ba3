import { Inject, Injectable } from '@nestjs/common';
import type { InstanceUsageEntry } from '@canopy/schema';
import { CLOCK, type Clock } from '../common/tokens';
import { STORE, type Store } from '../persistence/store.port';

/** Points kept per instance: Oakestra keeps the last 100, and its dashboard's charts expect at most that. */
export const USAGE_HISTORY_LENGTH = 100;

export interface UsagePoint {
  /** ISO time the root received the sample */
  timestamp: string;
  cpuPercent?: number | undefined;
  memoryMb?: number | undefined;
}

export interface InstanceUsageSeries {
  clusterId: string;
  generation: number;
  /** Oldest first, at most {@link USAGE_HISTORY_LENGTH}. */
  points: UsagePoint[];
}

/** What the views need: the usage of one instance, or nothing. */
export type UsageLookup = (serviceId: string, instanceNumber: number) => InstanceUsageSeries | undefined;

/**
 * The latest per-instance CPU and memory and a bounded history, in memory. Usage is a stream of
 * samples, not state: a restarted root starts with empty histories and refills them from the next
 * reports (within one heartbeat), so nothing is written to the database on every sample.
 */
@Injectable()
export class InstanceUsageStore {
  private readonly series = new Map<string, InstanceUsageSeries>();

  constructor(
    @Inject(STORE) private readonly store: Store,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /**
   * Records a cluster's batch: only for the live instances the root placed on that cluster (one
   * cluster can never write another's figures), and forgets that cluster's instances that are no
   * longer live there, so memory stays bounded by the live instances. Returns how many it kept.
   */
  async record(clusterId: string, entries: readonly InstanceUsageEntry[]): Promise<number> {
    // Live instance → its generation: a sample naming another generation is about no container
    // the root placed, and must not replace the real one's history.
    const live = new Map(
      (await this.store.instances.find({ clusterId, desired: 'running' })).map((i) => [
        usageKey(i.serviceId, i.instanceNumber),
        i.generation,
      ]),
    );
    for (const [key, s] of this.series) {
      if (s.clusterId === clusterId && !live.has(key)) {
        this.series.delete(key);
      }
    }
    const timestamp = this.clock.now().toISOString();
    let kept = 0;
    for (const e of entries) {
      const key = usageKey(e.serviceId, e.instanceNumber);
      if (live.get(key) !== e.generation) {
        continue;
      }
      let s = this.series.get(key);
      if (s === undefined || s.clusterId !== clusterId || s.generation !== e.generation) {
        // A new placement or a new generation is a new container: its history starts afresh.
        s = { clusterId, generation: e.generation, points: [] };
        this.series.set(key, s);
      }
      s.points.push({ timestamp, cpuPercent: e.cpuPercent, memoryMb: e.memoryMb });
      if (s.points.length > USAGE_HISTORY_LENGTH) {
        s.points.splice(0, s.points.length - USAGE_HISTORY_LENGTH);
      }
      kept++;
    }
    return kept;
  }

  get(serviceId: string, instanceNumber: number): InstanceUsageSeries | undefined {
    return this.series.get(usageKey(serviceId, instanceNumber));
  }

  get size(): number {
    return this.series.size;
  }

  readonly lookup: UsageLookup = (serviceId, instanceNumber) => this.get(serviceId, instanceNumber);
}

function usageKey(serviceId: string, instanceNumber: number): string {
  return `${serviceId}#${instanceNumber}`;
}
