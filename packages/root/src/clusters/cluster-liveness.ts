/**
 * How the root judges a cluster's silence (SPEC §10). Pure: time is passed in. A cluster is heard
 * whenever anything arrives from it (its heartbeat every few seconds, a sync, a status, resources)
 * and when it connects; it is judged by how long it has been silent.
 */
export type ClusterState = 'live' | 'suspect' | 'lost';

export interface LivenessTimers {
  /** Silent this long: suspect (its instances show DEAD, nothing moves yet). */
  suspectMs: number;
  /** Silent this long: lost (its instances are placed elsewhere). */
  lostMs: number;
}

export function clusterState(silentMs: number, timers: LivenessTimers): ClusterState {
  if (silentMs >= timers.lostMs) return 'lost';
  if (silentMs >= timers.suspectMs) return 'suspect';
  return 'live';
}

/**
 * When each cluster was last heard, on the root's own clock. A root that was itself paused (a
 * SIGSTOP, a VM freeze, a stalled event loop) must not judge its clusters by a gap it caused: when
 * its periodic `tick` arrives much later than due, the excess is forgiven to every cluster, so the
 * heartbeats that queued during the pause are read before anyone is judged.
 */
export class SilenceClock {
  private readonly lastHeard = new Map<string, number>();
  private lastTick: number;
  private startedAt: number;

  /** `startedAt`: clusters never heard since then count as heard at start (a root restart is no silence of theirs). */
  constructor(
    startedAt: number,
    private readonly tickMs: number,
  ) {
    this.startedAt = startedAt;
    this.lastTick = startedAt;
  }

  heard(clusterId: string, now: number): void {
    this.lastHeard.set(clusterId, Math.max(now, this.lastHeard.get(clusterId) ?? now));
  }

  silentFor(clusterId: string, now: number): number {
    return Math.max(0, now - (this.lastHeard.get(clusterId) ?? this.startedAt));
  }

  /** Call every `tickMs`. Returns the pause forgiven (0 when the tick was on time). */
  tick(now: number): number {
    const late = now - this.lastTick - this.tickMs;
    this.lastTick = now;
    // Timers under load run somewhat late; only a gap of several ticks is a pause of our own.
    if (late <= 2 * this.tickMs) return 0;
    for (const [id, at] of this.lastHeard) this.lastHeard.set(id, at + late);
    this.startedAt += late;
    return late;
  }
}
