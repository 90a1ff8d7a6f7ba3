import type { AddressInfo } from 'node:net';
import { NestFactory } from '@nestjs/core';
import { configureEdge } from '@canopy/nest-edge';
import type { NestExpressApplication } from '@nestjs/platform-express';
import pino, { type Logger } from 'pino';
import { ClusterModule } from './cluster.module';
import { ClusterRuntime } from './cluster.runtime';
import type { ClusterConfig } from './config/cluster-config';
import { NodeTokenService } from './nodes/node-token.service';

export interface ClusterHandle {
  /** The HTTP port actually bound (the configured one may be 0). */
  port: number;
  /** The in-process broker's port; the configured one when an external broker is used. */
  mqttPort: number;
  /** The join token nodes present to `POST /api/node/register`. */
  nodeToken: string;
  stop(): Promise<void>;
}

/**
 * Starts a cluster orchestrator in this process. `logger` lets an embedding launcher pass its own
 * pino logger; every line then carries `tier: 'cluster'`.
 */
export async function startCluster(config: ClusterConfig, logger?: Logger): Promise<ClusterHandle> {
  const log = (logger ?? pino({ level: process.env.LOG_LEVEL ?? 'info' })).child({ tier: 'cluster' });
  const app = await NestFactory.create<NestExpressApplication>(ClusterModule.register(config, log), {
    bufferLogs: true,
    bodyParser: false,
    // Node clients keep HTTP connections alive; without this, stop() would wait for them to idle out.
    forceCloseConnections: true,
  });
  // The same edge as the root; registration bodies are small, so the limit is tight.
  configureEdge(app, { log: log.child({ component: 'http' }), bodyLimit: '64kb' });
  try {
    await app.listen(config.port, config.host);
  } catch (err) {
    await app.close();
    throw err;
  }
  const port = app.getHttpServer().address() as AddressInfo;
  const runtime = app.get(ClusterRuntime);
  log.info({ port: port.port, mqttPort: runtime.brokerPort || config.mqttPort }, 'cluster listening');
  let stopping: Promise<void> | undefined;
  return {
    port: port.port,
    mqttPort: runtime.brokerPort || config.mqttPort,
    nodeToken: app.get(NodeTokenService).token,
    stop: () => (stopping ??= app.close()),
  };
}
