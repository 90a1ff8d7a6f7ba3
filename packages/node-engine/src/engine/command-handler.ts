import { parseNodeTopic } from '@canopy/schema/lite';
import type { LogsCommand, LogsReplyMessage } from '@canopy/schema';
import type { Logger } from 'pino';
import type { ContainerRuntime } from '../docker/container-runtime.port';
import type { InstanceManager } from './instance-manager.service';
import { validateNodeInput } from '../validation/node-inputs';

export interface CommandHandlerDeps {
  nodeId: string;
  manager: InstanceManager;
  runtime: ContainerRuntime;
  /** Sends a logs answer up (`nodes/<id>/logs`). */
  replyLogs: (reply: LogsReplyMessage) => void;
  /** The cluster asks for another report interval (`control/pace`). */
  setReportInterval?: (intervalMs: number) => void;
  log: Logger;
}

/**
 * The node's MQTT control topics: each payload is validated with the schema classes (a trust
 * boundary) and handed to the instance manager; anything malformed is dropped with a warning.
 */
export function commandHandler({
  nodeId,
  manager,
  runtime,
  replyLogs,
  setReportInterval,
  log,
}: CommandHandlerDeps): (topic: string, payload: Buffer) => Promise<void> {
  const handle = async (topic: string, payload: Buffer): Promise<void> => {
    const parsed = parseNodeTopic(topic);
    if (parsed === undefined || parsed.nodeId !== nodeId) {
      log.warn({ topic }, 'message on unexpected topic dropped');
      return;
    }
    let body: unknown;
    try {
      body = JSON.parse(payload.toString('utf8'));
    } catch {
      log.warn({ topic, bytes: payload.length }, 'command payload is not JSON, dropped');
      return;
    }
    switch (parsed.kind) {
      case 'control/deploy': {
        const result = validateNodeInput('DeployCommand', body);
        if (!result.ok) {
          return dropInvalid(topic, result.errors);
        }
        return manager.deploy(result.value);
      }
      case 'control/delete': {
        const result = validateNodeInput('DeleteCommand', body);
        if (!result.ok) {
          return dropInvalid(topic, result.errors);
        }
        return manager.delete(result.value);
      }
      case 'control/sync': {
        const result = validateNodeInput('SyncCommand', body);
        if (!result.ok) {
          return dropInvalid(topic, result.errors);
        }
        return manager.sync(result.value.instances);
      }
      case 'control/logs': {
        const result = validateNodeInput('LogsCommand', body);
        if (!result.ok) {
          return dropInvalid(topic, result.errors);
        }
        return answerLogs(result.value);
      }
      case 'control/pace': {
        const result = validateNodeInput('PaceCommand', body);
        if (!result.ok) {
          return dropInvalid(topic, result.errors);
        }
        log.info({ reportIntervalMs: result.value.reportIntervalMs }, 'cluster set the report interval');
        return setReportInterval?.(result.value.reportIntervalMs);
      }
      case 'information':
      case 'jobs/resources':
      case 'job':
      case 'logs':
        log.warn({ topic }, 'message on unexpected topic dropped');
        return;
    }
  };
  const answerLogs = async (request: LogsCommand): Promise<void> => {
    const containerId = manager.containerFor(request);
    let reply: LogsReplyMessage;
    if (containerId === undefined) {
      reply = { requestId: request.requestId, ok: false, lines: [], error: 'instance not found on this node' };
    } else {
      try {
        const lines = await runtime.containerLogs(containerId, request.tail);
        reply = { requestId: request.requestId, ok: true, lines };
      } catch (err) {
        reply = { requestId: request.requestId, ok: false, lines: [], error: (err as Error).message.slice(0, 2048) };
      }
    }
    replyLogs(reply);
  };
  const dropInvalid = (topic: string, errors: unknown): void => {
    log.warn({ topic, errors }, 'invalid command dropped');
  };
  return handle;
}
