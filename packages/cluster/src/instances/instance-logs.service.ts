import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import {
  NodeTopics,
  type LogsCommand,
  type LogsReply,
  type LogsReplyMessage,
  type LogsRequestDto,
} from '@canopy/schema';
import type { Logger } from 'pino';
import { IdGenerator } from '../common/clock';
import { CLUSTER_LOGGER } from '../common/tokens';
import { MessageBus } from '../mqtt/message-bus.port';
import { InstancesService } from './instances.service';

/** How long the root's request waits for the node; the root's own ack timeout is longer. */
export const LOGS_TIMEOUT_MS = 5_000;

interface Pending {
  nodeId: string;
  resolve: (reply: LogsReply) => void;
  timer: NodeJS.Timeout;
}

/**
 * Relays a log request from the root to the node running the instance and the node's answer back.
 * Requests and answers meet by a random `requestId`; only the node that was asked can answer.
 */
@Injectable()
export class InstanceLogsService implements OnApplicationShutdown {
  private readonly log: Logger;
  private readonly pending = new Map<string, Pending>();

  constructor(
    @Inject(CLUSTER_LOGGER) logger: Logger,
    private readonly instances: InstancesService,
    private readonly bus: MessageBus,
    private readonly ids: IdGenerator,
  ) {
    this.log = logger.child({ component: 'instance-logs' });
  }

  fetch(request: LogsRequestDto): Promise<LogsReply> {
    const placed = this.instances
      .reports()
      .find((r) => r.serviceId === request.serviceId && r.instanceNumber === request.instanceNumber);
    const nodeId = placed?.nodeId;
    if (nodeId === undefined) {
      return Promise.resolve({ ok: false, error: 'instance not found on this cluster' });
    }
    const requestId = this.ids.secret();
    const command: LogsCommand = {
      requestId,
      serviceId: request.serviceId,
      instanceNumber: request.instanceNumber,
      generation: request.generation,
      tail: request.tail,
    };
    return new Promise<LogsReply>((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(requestId);
        this.log.warn({ nodeId, serviceId: request.serviceId }, 'node did not answer a logs request');
        resolve({ ok: false, error: `node ${nodeId} did not answer within ${LOGS_TIMEOUT_MS / 1000} s` });
      }, LOGS_TIMEOUT_MS);
      this.pending.set(requestId, { nodeId, resolve, timer });
      this.bus.publish(NodeTopics.logsRequest(nodeId), command).catch((err: unknown) => {
        this.settle(requestId, { ok: false, error: `logs request could not be sent: ${(err as Error).message}` });
      });
    });
  }

  /** A node's answer (already validated); unknown ids or answers from another node are dropped. */
  onReply(nodeId: string, reply: LogsReplyMessage): void {
    const pending = this.pending.get(reply.requestId);
    if (pending === undefined || pending.nodeId !== nodeId) {
      this.log.debug({ nodeId, requestId: reply.requestId }, 'unexpected logs reply dropped');
      return;
    }
    this.settle(
      reply.requestId,
      reply.ok ? { ok: true, lines: reply.lines } : { ok: false, error: reply.error ?? 'node could not read the logs' },
    );
  }

  onApplicationShutdown(): void {
    for (const id of [...this.pending.keys()]) {
      this.settle(id, { ok: false, error: 'cluster is shutting down' });
    }
  }

  private settle(requestId: string, reply: LogsReply): void {
    const pending = this.pending.get(requestId);
    if (pending === undefined) {
      return;
    }
    this.pending.delete(requestId);
    clearTimeout(pending.timer);
    pending.resolve(reply);
  }
}
