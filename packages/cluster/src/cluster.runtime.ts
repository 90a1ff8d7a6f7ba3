import {
  Inject,
  Injectable,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import type { Logger } from 'pino';
import { Clock } from './common/clock';
import { CLUSTER_CONFIG, CLUSTER_LOGGER } from './common/tokens';
import type { ClusterConfig } from './config/cluster-config';
import { InstancesService } from './instances/instances.service';
import { NodeLossService } from './instances/node-loss.service';
import { NodeMessagesService } from './instances/node-messages.service';
import { SyncRotation } from './instances/sync-rotation';
import { MessageBus } from './mqtt/message-bus.port';
import { BrokerCredentials } from './mqtt/broker-credentials.port';
import { MqttAccess } from './mqtt/mqtt-access';
import { MqttBroker } from './mqtt/mqtt-broker';
import { NodesService, livenessTickMs } from './nodes/nodes.service';
import { PACE_TICK_MS, ReportPaceService } from './nodes/report-pace.service';
import { ClusterRepository } from './persistence/cluster.repository';
import { RootLinkService } from './root-link/root-link.service';

/**
 * Starts the moving parts in dependency order (state → broker → bus → timers → root link) and stops
 * them in reverse, so no message arrives at a part that is already gone.
 */
@Injectable()
export class ClusterRuntime implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly log: Logger;
  private timers: NodeJS.Timeout[] = [];
  brokerPort = 0;

  constructor(
    @Inject(CLUSTER_CONFIG) private readonly config: ClusterConfig,
    @Inject(CLUSTER_LOGGER) logger: Logger,
    private readonly repo: ClusterRepository,
    private readonly nodes: NodesService,
    private readonly instances: InstancesService,
    private readonly nodeLoss: NodeLossService,
    private readonly nodeMessages: NodeMessagesService,
    private readonly access: MqttAccess,
    private readonly broker: MqttBroker,
    private readonly credentials: BrokerCredentials,
    private readonly bus: MessageBus,
    private readonly rootLink: RootLinkService,
    private readonly pace: ReportPaceService,
    private readonly clock: Clock,
  ) {
    this.log = logger.child({ component: 'runtime' });
  }

  async onApplicationBootstrap(): Promise<void> {
    this.instances.load();
    if (!this.access.external) {
      this.brokerPort = await this.broker.start();
    }
    const managed = await this.credentials.start();
    this.bus.onMessage((topic, payload) => this.nodeMessages.handle(topic, payload));
    const { url, login, tls } = this.access.clusterConnection();
    await this.bus.connect(url, managed ?? login, tls);
    this.pace.start();
    this.timers.push(
      setInterval(() => this.pace.tick(), PACE_TICK_MS),
      setInterval(() => {
        const verdict = this.nodes.checkLiveness();
        for (const nodeId of verdict.inactive) {
          this.pace.forget(nodeId);
          this.nodeLoss.nodeLost(nodeId);
        }
        for (const nodeId of verdict.lost) {
          this.nodeLoss.nodeDeclaredLost(nodeId);
        }
      }, livenessTickMs(this.config.nodeLivenessMs)),
      setInterval(() => this.nodeLoss.retryStranded(), this.config.syncIntervalMs),
      this.resyncTimer(),
    );
    this.rootLink.start();
    this.log.info({ clusterName: this.config.clusterName, rootUrl: this.config.rootUrl }, 'cluster started');
  }

  /**
   * The full resync, an even slice of the nodes per tick (see {@link SyncRotation}). Each node gets
   * it every SYNC_INTERVAL_MS at the configured report pace, and proportionally less often while the
   * cluster sheds load by asking nodes to report less often: a resync is a message per node too.
   */
  private resyncTimer(): NodeJS.Timeout {
    const tickMs = Math.min(1000, this.config.syncIntervalMs);
    const rotation = new SyncRotation(tickMs);
    return setInterval(() => {
      const slowdown = Math.max(1, this.pace.intervalMs / this.config.nodeReportIntervalMs);
      const periodMs = Math.round(this.config.syncIntervalMs * slowdown);
      this.instances.syncNodes(rotation.due(this.clock.now(), periodMs, () => this.nodes.nodeIds()));
    }, tickMs);
  }

  async beforeApplicationShutdown(): Promise<void> {
    for (const t of this.timers) {
      clearInterval(t);
    }
    this.timers = [];
    this.pace.stop();
    this.rootLink.stop();
    await this.bus.close();
    await this.credentials.stop();
    await this.broker.stop();
  }

  onApplicationShutdown(): void {
    this.repo.close();
    this.log.info('cluster stopped');
  }
}
