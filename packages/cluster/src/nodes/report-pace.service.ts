import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { Inject, Injectable } from '@nestjs/common';
import { NodeTopics } from '@canopy/schema';
import type { Logger } from 'pino';
import { Clock } from '../common/clock';
import { CLUSTER_CONFIG, CLUSTER_LOGGER } from '../common/tokens';
import type { ClusterConfig } from '../config/cluster-config';
import { MessageBus } from '../mqtt/message-bus.port';
import { NodesService } from './nodes.service';
import { initialPace, livenessWindowMs, planPace, type PaceSettings, type PaceState } from './report-pace.planner';

/** How often the pace is planned. */
export const PACE_TICK_MS = 1000;
/** After a start, how long nodes that report less often than planned are not hurried. */
const SETTLE_MS = 60_000;

/**
 * Carries out the report pace (`report-pace.planner.ts`): plans once a second from the active node
 * count and the event-loop delay, widens or narrows the liveness window with it, and tells each
 * node its interval on `control/pace` when the node's own report shows it uses another. Telling a
 * node at its report spreads the messages over one interval (50,000 at once would be a storm of its
 * own) and heals a lost one: the next report still shows the old interval and gets it again.
 */
@Injectable()
export class ReportPaceService {
  private readonly log: Logger;
  private readonly settings: PaceSettings;
  private state: PaceState;
  private readonly delay: IntervalHistogram = monitorEventLoopDelay({ resolution: 20 });
  /**
   * Until then a node reporting less often than planned is left so: after a restart the nodes
   * still use the interval the previous run told them, and the planner first needs to see them all.
   * Ends early at the planner's first change: from then on this run has its own judgement.
   */
  private settleUntil: number;
  /** The interval each node was last told, and when; a node without `reportIntervalMs` is judged by this. */
  private readonly told = new Map<string, { ms: number; at: number }>();

  constructor(
    @Inject(CLUSTER_CONFIG) config: ClusterConfig,
    @Inject(CLUSTER_LOGGER) logger: Logger,
    private readonly nodes: NodesService,
    private readonly bus: MessageBus,
    private readonly clock: Clock,
  ) {
    this.log = logger.child({ component: 'report-pace' });
    this.settings = {
      baseIntervalMs: config.nodeReportIntervalMs,
      maxIntervalMs: config.nodeReportIntervalMaxMs,
      reportsPerSecond: config.nodeReportsPerSecond,
      loopDelayMs: config.overloadLoopDelayMs,
      livenessMs: config.nodeLivenessMs,
    };
    this.state = initialPace(this.settings);
    this.settleUntil = clock.now() + SETTLE_MS;
  }

  /** The interval nodes are asked to report at now. */
  get intervalMs(): number {
    return this.state.intervalMs;
  }

  /** Nodes told another interval and not yet seen using it. */
  get pending(): number {
    return this.told.size;
  }

  start(): void {
    this.delay.enable();
  }

  stop(): void {
    this.delay.disable();
  }

  /** One plan: the interval (logged when it changes) and the liveness window that goes with it. */
  tick(): void {
    const now = this.clock.now();
    // The histogram reads nanoseconds; with nothing recorded yet its mean is NaN.
    const mean = this.delay.mean / 1e6;
    this.delay.reset();
    const plan = planPace(this.settings, this.state, {
      activeNodes: this.nodes.activeCount,
      loopDelayMs: Number.isFinite(mean) ? mean : 0,
      now,
    });
    const before = this.state.intervalMs;
    this.state = plan.state;
    this.nodes.setLivenessWindow(livenessWindowMs(this.state, now));
    if (plan.reason !== undefined) {
      this.settleUntil = 0;
      const fields = {
        fromMs: before,
        intervalMs: this.state.intervalMs,
        livenessMs: this.state.livenessMs,
        activeNodes: this.nodes.activeCount,
        loopDelayMs: Math.round((Number.isFinite(mean) ? mean : 0) * 10) / 10,
        reason: plan.reason,
      };
      if (plan.reason === 'recovered') {
        this.log.info(fields, 'load fell: nodes report more often again');
      } else {
        this.log.warn(fields, 'over capacity: nodes told to report less often');
      }
    }
  }

  /** At each heartbeat: tell the node its interval when it uses (or was last told) another. */
  onHeartbeat(nodeId: string, reportedMs: number | undefined): void {
    const target = this.state.intervalMs;
    const told = this.told.get(nodeId);
    if (reportedMs === target) {
      this.told.delete(nodeId);
      return;
    }
    const now = this.clock.now();
    if (reportedMs !== undefined && reportedMs > target && now < this.settleUntil) {
      return;
    }
    if (reportedMs === undefined && (told?.ms ?? this.settings.baseIntervalMs) === target) {
      return;
    }
    // Told already and the answer may still be on its way: one report at the old interval and one
    // at the new may pass before it shows.
    if (told?.ms === target && now - told.at < 2 * Math.max(target, reportedMs ?? 0)) {
      return;
    }
    this.told.set(nodeId, { ms: target, at: now });
    this.bus.publish(NodeTopics.pace(nodeId), { reportIntervalMs: target }).catch((err: unknown) => {
      this.log.debug({ nodeId, err: (err as Error).message }, 'pace message not sent');
    });
  }

  /** A node that is gone needs no telling; keeps `told` bounded by the nodes that report. */
  forget(nodeId: string): void {
    this.told.delete(nodeId);
  }
}
