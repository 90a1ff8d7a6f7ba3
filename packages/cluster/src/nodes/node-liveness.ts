import type { NodeInformation } from '@canopy/schema';
import type { Logger } from 'pino';

/** What the last heartbeat said; kept in memory only (after a restart every node is inactive until it speaks). */
export interface NodeLiveState {
  lastSeen: number;
  info: NodeInformation;
}

export interface LivenessSettings {
  /** no heartbeat for this long: inactive (its instances shown DEAD) */
  livenessMs: number;
  /** inactive for this long: lost (its instances placed elsewhere) */
  lostMs: number;
  /** how often `check` is meant to run; a much longer gap means this process itself was paused */
  tickMs: number;
  /**
   * The report interval `livenessMs` was set for (NODE_REPORT_INTERVAL_MS) and the longest one
   * honoured: a node that says it reports less often (`reportIntervalMs`) gets a window scaled to it.
   */
  baseIntervalMs?: number | undefined;
  maxIntervalMs?: number | undefined;
}

/** What the cluster's own liveness judgement is, for logs and `/health`. */
export interface LivenessMode {
  /** most nodes silent at once: the cluster suspects its own network and evicts nothing */
  disrupted: boolean;
  /** registered nodes silent now (not counting those already declared lost) */
  silentNodes: number;
  /** until when nodes are not judged after this process was paused (ms since epoch), if still so */
  graceUntil?: number | undefined;
}

export interface LivenessVerdict {
  /** nodes that just went inactive */
  inactive: string[];
  /** nodes that just got declared lost */
  lost: string[];
}

/**
 * Judges nodes by their silence, but never by a silence of its own (SPEC §10):
 * - a tick that comes much later than planned means this process was paused (SIGSTOP, a frozen VM,
 *   a blocked event loop); the heartbeats that queued meanwhile are not read yet, so every node gets
 *   one liveness window from the resume before it is judged again;
 * - when most of the nodes not already lost are silent together (all of them, for one node), the
 *   likelier cause is this cluster's own network: nodes are still shown inactive, but none is
 *   declared lost (Kubernetes' full-disruption mode), and lost-timers restart once it ends.
 */
export class NodeLiveness {
  private readonly live = new Map<string, NodeLiveState>();
  private readonly active = new Set<string>();
  /** When each registered, inactive node was last seen going (or found) silent. */
  private readonly inactiveSince = new Map<string, number>();
  private readonly lost = new Set<string>();
  private lastTick: number | undefined;
  /** Heartbeat silence is counted from no earlier than this (the resume from a pause). */
  private liveFrom = 0;
  /** Lost-timers count from no earlier than this (a resume, the end of a disruption). */
  private lostFrom = 0;
  private graceUntil = 0;
  private disrupted = false;
  private silent = 0;

  constructor(
    private readonly settings: LivenessSettings,
    private readonly log: Logger,
  ) {
    this.baseLivenessMs = settings.livenessMs;
  }

  private readonly baseLivenessMs: number;

  /**
   * The silence that makes a node inactive from now on: the report pace widens it when nodes are
   * told to report less often (and narrows it again), so a node that complies is not judged silent.
   */
  setLivenessMs(livenessMs: number): void {
    this.settings.livenessMs = livenessMs;
  }

  /** Nodes active as of the last check, in O(1). */
  get activeCount(): number {
    return this.active.size;
  }

  /** Milliseconds since each active node's last heartbeat: mean and max. */
  heartbeatAgeMs(now: number): { mean: number; max: number } {
    let sum = 0;
    let max = 0;
    for (const nodeId of this.active) {
      const age = now - (this.live.get(nodeId)?.lastSeen ?? now);
      sum += age;
      max = Math.max(max, age);
    }
    return { mean: this.active.size === 0 ? 0 : sum / this.active.size, max };
  }

  /** Records a heartbeat; true when this made the node active (first beat, after silence, after restart). */
  heartbeat(nodeId: string, info: NodeInformation, now: number): boolean {
    this.live.set(nodeId, { lastSeen: now, info });
    if (this.active.has(nodeId)) {
      return false;
    }
    this.active.add(nodeId);
    this.inactiveSince.delete(nodeId);
    this.lost.delete(nodeId);
    return true;
  }

  /** One judgement over every registered node; each transition is returned once. */
  check(registered: Iterable<string>, now: number): LivenessVerdict {
    this.noticePause(now);
    const verdict: LivenessVerdict = { inactive: [], lost: [] };
    for (const nodeId of this.active) {
      const silentMs = now - this.seenAt(nodeId);
      if (silentMs > this.windowOf(nodeId)) {
        this.active.delete(nodeId);
        this.inactiveSince.set(nodeId, this.live.get(nodeId)?.lastSeen ?? now);
        verdict.inactive.push(nodeId);
        this.log.warn({ nodeId, silentMs }, 'node inactive');
      }
    }
    // One pass over every registered node, copying none: count who is silent (for the disruption
    // judgement) and note who is silent and not yet lost; only those are judged below.
    let counted = 0;
    const silent: string[] = [];
    for (const nodeId of registered) {
      if (this.lost.has(nodeId)) {
        continue;
      }
      counted++;
      if (!this.active.has(nodeId)) {
        silent.push(nodeId);
      }
    }
    this.judgeDisruption(silent.length, counted, now);
    const lostAfter = Math.max(this.settings.lostMs, this.settings.livenessMs);
    for (const nodeId of silent) {
      const since = this.inactiveSince.get(nodeId) ?? this.live.get(nodeId)?.lastSeen;
      // Never heard from since this cluster started: count from the first check, so a cluster
      // restart does not declare every node lost at once.
      if (since === undefined) {
        this.inactiveSince.set(nodeId, now);
        continue;
      }
      const silentMs = now - Math.max(since, this.lostFrom);
      if (!this.disrupted && silentMs > lostAfter) {
        this.lost.add(nodeId);
        verdict.lost.push(nodeId);
        this.log.warn({ nodeId, silentMs }, 'node declared lost');
      }
    }
    return verdict;
  }

  /**
   * Each node active now (exactly, as `isActive`) with what it said last, in O(active) and copying
   * nothing: for the aggregates the root reads every few seconds at tens of thousands of nodes.
   */
  forEachActive(now: number, visit: (nodeId: string, live: NodeLiveState) => void): void {
    for (const nodeId of this.active) {
      const live = this.live.get(nodeId);
      if (live !== undefined && now - Math.max(live.lastSeen, this.liveFrom) <= this.windowOf(nodeId)) {
        visit(nodeId, live);
      }
    }
  }

  isActive(nodeId: string, now: number): boolean {
    return this.active.has(nodeId) && this.live.has(nodeId) && now - this.seenAt(nodeId) <= this.windowOf(nodeId);
  }

  /**
   * The window in force, or the one for the interval the node itself said it uses (e.g. still the
   * long one a cluster told it before it restarted), whichever is longer.
   */
  private windowOf(nodeId: string): number {
    const reported = this.live.get(nodeId)?.info.reportIntervalMs;
    const { baseIntervalMs, maxIntervalMs } = this.settings;
    if (reported === undefined || baseIntervalMs === undefined || reported <= baseIntervalMs) {
      return this.settings.livenessMs;
    }
    const interval = Math.min(reported, maxIntervalMs ?? reported);
    return Math.max(this.settings.livenessMs, Math.round((this.baseLivenessMs * interval) / baseIntervalMs));
  }

  isLost(nodeId: string): boolean {
    return this.lost.has(nodeId);
  }

  state(nodeId: string): NodeLiveState | undefined {
    return this.live.get(nodeId);
  }

  mode(now: number): LivenessMode {
    return {
      disrupted: this.disrupted,
      silentNodes: this.silent,
      ...(this.graceUntil > now ? { graceUntil: this.graceUntil } : {}),
    };
  }

  /** A heartbeat is judged from no earlier than the resume (see the class comment). */
  private seenAt(nodeId: string): number {
    return Math.max(this.live.get(nodeId)?.lastSeen ?? 0, this.liveFrom);
  }

  private noticePause(now: number): void {
    const last = this.lastTick;
    this.lastTick = now;
    // Timers run late under load; only a gap of several ticks (and at least 2 s) is a pause.
    const pauseAfter = Math.max(2_000, this.settings.tickMs * 4);
    if (last === undefined || now - last <= pauseAfter) {
      return;
    }
    this.liveFrom = now;
    this.lostFrom = now;
    this.graceUntil = now + this.settings.livenessMs;
    this.log.warn(
      { pausedMs: now - last, graceMs: this.settings.livenessMs },
      'cluster manager was paused; reading what the nodes sent meanwhile before judging them',
    );
  }

  /** `silent` of the `counted` registered nodes not already lost are not active. */
  private judgeDisruption(silent: number, counted: number, now: number): void {
    this.silent = silent;
    // "Most": more than half, and all of them when there are one or two.
    const disrupted = silent > 0 && silent * 2 > counted;
    if (disrupted === this.disrupted) {
      return;
    }
    this.disrupted = disrupted;
    if (disrupted) {
      this.log.warn(
        { silentNodes: silent, nodes: counted },
        'most nodes silent at once: suspecting this cluster’s own network, evicting nothing',
      );
    } else {
      // Lost-timers restart: a node still silent now gets a full NODE_LOST_MS from here.
      this.lostFrom = Math.max(this.lostFrom, now);
      this.log.info({ silentNodes: silent, nodes: counted }, 'nodes reporting again: network disruption over');
    }
  }
}
