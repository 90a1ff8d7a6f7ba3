import { type DynamicModule, Module } from '@nestjs/common';
import { LOG_REDACTION } from '@canopy/schema';
import { ThrottlerModule } from '@nestjs/throttler';
import { LoggerModule } from 'nestjs-pino';
import type { Logger } from 'pino';
import { ClusterRuntime } from './cluster.runtime';
import { Clock, IdGenerator, RandomIdGenerator, SystemClock } from './common/clock';
import { CLUSTER_CONFIG, CLUSTER_LOGGER } from './common/tokens';
import type { ClusterConfig } from './config/cluster-config';
import { HealthController } from './health/health.controller';
import { MetricsController } from './metrics/metrics.controller';
import { InstanceLogsService } from './instances/instance-logs.service';
import { InstancesService } from './instances/instances.service';
import { NodeLossService } from './instances/node-loss.service';
import { NodeMessagesService } from './instances/node-messages.service';
import { PlacementBook } from './instances/placement-book';
import { MessageBus } from './mqtt/message-bus.port';
import { BrokerCredentials, RegistryCredentials } from './mqtt/broker-credentials.port';
import { MosquittoDynsecCredentials } from './mqtt/mosquitto-dynsec.credentials';
import { MqttAccess } from './mqtt/mqtt-access';
import { MqttBroker } from './mqtt/mqtt-broker';
import { MqttBusAdapter } from './mqtt/mqtt-bus.adapter';
import { ClusterAdminGuard, ClusterAdminToken } from './nodes/cluster-admin.guard';
import { JoinTokensController, NodeCredentialsController } from './nodes/join-tokens.controller';
import { JoinTokensService } from './nodes/join-tokens.service';
import { InProcessBusAdapter } from './mqtt/in-process-bus.adapter';
import { NodeTokenGuard } from './nodes/node-token.guard';
import { NodeTokenService } from './nodes/node-token.service';
import { NodesController } from './nodes/nodes.controller';
import { NodesService } from './nodes/nodes.service';
import { NodeSessions } from './nodes/node-sessions';
import { ReportPaceService } from './nodes/report-pace.service';
import { RegisterAdmissionGuard } from './nodes/register-admission.guard';
import { ClusterRepository } from './persistence/cluster.repository';
import { SqliteClusterRepository } from './persistence/sqlite-cluster.repository';
import { RootLinkService } from './root-link/root-link.service';
import { RootOutbox } from './root-link/root-outbox';
import { SchedulingService } from './scheduling/scheduling.service';

/**
 * One module for the whole tier: the features are small and wired to each other through ports,
 * and a single dynamic module keeps the config and the (possibly embedded) parent logger in one place.
 */
@Module({})
export class ClusterModule {
  static register(config: ClusterConfig, logger: Logger): DynamicModule {
    return {
      module: ClusterModule,
      imports: [
        ThrottlerModule.forRoot([{ ttl: 60_000, limit: config.registerRateLimit }]),
        LoggerModule.forRoot({
          pinoHttp: {
            logger,
            // The join token arrives as `authorization`: never in a request log (SPEC §9).
            redact: LOG_REDACTION,
            // Nodes register rarely; health checks are frequent and uninteresting.
            autoLogging: { ignore: (req) => req.url === '/health' },
          },
        }),
      ],
      controllers: [
        NodesController,
        JoinTokensController,
        NodeCredentialsController,
        HealthController,
        MetricsController,
      ],
      providers: [
        { provide: CLUSTER_CONFIG, useValue: config },
        { provide: CLUSTER_LOGGER, useValue: logger },
        { provide: Clock, useClass: SystemClock },
        { provide: IdGenerator, useClass: RandomIdGenerator },
        { provide: ClusterRepository, useFactory: () => new SqliteClusterRepository(config.dataDir) },
        // Our own broker: its messages are handled in process. An external one: an MQTT client.
        {
          provide: MessageBus,
          useFactory: (broker: MqttBroker) =>
            config.mqttUrl === undefined ? new InProcessBusAdapter(broker) : new MqttBusAdapter(config, logger),
          inject: [MqttBroker],
        },
        NodeTokenService,
        JoinTokensService,
        NodeTokenGuard,
        RegisterAdmissionGuard,
        ClusterAdminToken,
        ClusterAdminGuard,
        NodeSessions,
        NodesService,
        ReportPaceService,
        MqttAccess,
        MqttBroker,
        {
          provide: BrokerCredentials,
          inject: [MqttAccess, NodeSessions],
          useFactory: (access: MqttAccess, sessions: NodeSessions) =>
            config.mqttDynsec === true
              ? new MosquittoDynsecCredentials(access, logger)
              : new RegistryCredentials(sessions),
        },
        SchedulingService,
        RootOutbox,
        PlacementBook,
        InstancesService,
        NodeLossService,
        InstanceLogsService,
        NodeMessagesService,
        RootLinkService,
        ClusterRuntime,
      ],
    };
  }
}
