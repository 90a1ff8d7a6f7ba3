import type { LoggerService } from '@nestjs/common';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { NestFactory } from '@nestjs/core';
import { Logger as NestPinoLogger } from 'nestjs-pino';
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
  const app = await NestFactory.create(ClusterModule.register(config, log), {
    bufferLogs: true,
    // Node clients keep HTTP connections alive; without this, stop() would wait for them to idle out.
    forceCloseConnections: true,
  });
  app.useLogger(frameworkLogger(app.get(NestPinoLogger)));
  try {
    await app.listen(config.port, config.host);
  } catch (err) {
    await app.close();
    throw err;
  }
  const port = (app.getHttpServer() as Server).address() as AddressInfo;
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

/** Nest's own start-up chatter (modules loaded, routes mapped) goes to debug; its warnings and errors stay. */
function frameworkLogger(nest: NestPinoLogger): LoggerService {
  return {
    log: (message: unknown, ...rest: unknown[]) => nest.debug(message, ...rest),
    error: nest.error.bind(nest),
    warn: nest.warn.bind(nest),
    debug: nest.debug.bind(nest),
    verbose: nest.verbose.bind(nest),
    fatal: nest.fatal.bind(nest),
  };
}
