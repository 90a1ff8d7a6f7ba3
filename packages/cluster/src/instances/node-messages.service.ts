import { Inject, Injectable } from '@nestjs/common';
import {
  JobStatusMessage,
  LogsReplyMessage,
  NODE_TO_CLUSTER,
  NodeInformation,
  NodeJobsReport,
  compileValidator,
  parseNodeTopic,
  validateInput,
  type NodeTopicKind,
} from '@canopy/schema';
import type { Logger } from 'pino';
import { CLUSTER_LOGGER } from '../common/tokens';
import { NodesService } from '../nodes/nodes.service';
import { ReportPaceService } from '../nodes/report-pace.service';
import { RootOutbox } from '../root-link/root-outbox';
import { InstanceLogsService } from './instance-logs.service';
import { InstancesService } from './instances.service';

const FROM_NODES: ReadonlySet<NodeTopicKind> = new Set(NODE_TO_CLUSTER);
// The periodic messages, many per second at scale: checked by validators generated from the same
// classes, which accept without instantiating and leave anything doubtful to validateInput.
const checkInformation = compileValidator(NodeInformation);
const checkJobsReport = compileValidator(NodeJobsReport);
const checkJobStatus = compileValidator(JobStatusMessage);

/**
 * Everything nodes publish enters here: parsed, validated against the shared schema classes, and
 * dropped with a warning when malformed or from an unknown node. Nothing a node sends can throw.
 */
@Injectable()
export class NodeMessagesService {
  private readonly log: Logger;

  constructor(
    @Inject(CLUSTER_LOGGER) logger: Logger,
    private readonly nodes: NodesService,
    private readonly instances: InstancesService,
    private readonly outbox: RootOutbox,
    private readonly logs: InstanceLogsService,
    private readonly pace: ReportPaceService,
  ) {
    this.log = logger.child({ component: 'node-messages' });
  }

  handle(topic: string, payload: Buffer): void {
    try {
      this.dispatch(topic, payload);
    } catch (err) {
      // A bug in handling one message must not take the cluster down; log it loudly instead.
      this.log.error({ topic, err }, 'node message handling failed');
    }
  }

  private dispatch(topic: string, payload: Buffer): void {
    const parsed = parseNodeTopic(topic);
    if (!parsed || !FROM_NODES.has(parsed.kind)) {
      return;
    }
    const { nodeId, kind } = parsed;
    if (!this.nodes.get(nodeId)) {
      this.log.warn({ nodeId, topic }, 'message from unknown node dropped');
      return;
    }
    let body: unknown;
    try {
      body = JSON.parse(payload.toString('utf8'));
    } catch {
      this.log.warn({ nodeId, topic }, 'unparsable node message dropped');
      return;
    }
    switch (kind) {
      case 'information': {
        const info = checkInformation(body);
        if (!info.ok) {
          return this.invalid(nodeId, topic, info.errors);
        }
        this.pace.onHeartbeat(nodeId, info.value.reportIntervalMs);
        if (this.nodes.heartbeat(nodeId, info.value)) {
          // Became active (first beat, back from silence, or the cluster restarted): send its full desired set.
          this.instances.syncNode(nodeId);
          this.outbox.resourcesChanged();
        }
        return;
      }
      case 'jobs/resources': {
        const report = checkJobsReport(body);
        if (!report.ok) {
          return this.invalid(nodeId, topic, report.errors);
        }
        this.instances.nodeFullReport(nodeId, report.value.instances);
        this.outbox.usage(report.value.instances, report.value.at);
        return;
      }
      case 'job': {
        const status = checkJobStatus(body);
        if (!status.ok) {
          return this.invalid(nodeId, topic, status.errors);
        }
        this.instances.nodeReported(nodeId, status.value);
        return;
      }
      case 'logs': {
        const reply = validateInput(LogsReplyMessage, body);
        if (!reply.ok) {
          return this.invalid(nodeId, topic, reply.errors);
        }
        this.logs.onReply(nodeId, reply.value);
        return;
      }
      case 'control/deploy':
      case 'control/delete':
      case 'control/sync':
      case 'control/logs':
      case 'control/pace':
        return;
    }
  }

  private invalid(nodeId: string, topic: string, errors: { path: string; message: string }[]): void {
    this.log.warn({ nodeId, topic, errors: errors.slice(0, 5) }, 'invalid node message dropped');
  }
}
