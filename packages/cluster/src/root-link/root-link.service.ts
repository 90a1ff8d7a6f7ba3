import { readFileSync } from 'node:fs';
import { Inject, Injectable } from '@nestjs/common';
import {
  CLUSTER_HEARTBEAT_INTERVAL_MS,
  InstanceKeyDto,
  InstanceSpecDto,
  LogsRequestDto,
  MAX_USAGE_ENTRIES,
  SOCKET_NAMESPACE,
  validateInput,
  type Ack,
  type ClusterHandshakeDto,
  type ClusterResourcesDto,
  type ClusterSyncDto,
  type ClusterToRootEvents,
  type LogsReply,
  type RootToClusterEvents,
} from '@canopy/schema';
import type { Logger } from 'pino';
import { io, type Socket } from 'socket.io-client';
import { CLUSTER_CONFIG, CLUSTER_LOGGER } from '../common/tokens';
import type { ClusterConfig } from '../config/cluster-config';
import { InstanceLogsService } from '../instances/instance-logs.service';
import { InstancesService } from '../instances/instances.service';
import { RootOutbox } from './root-outbox';
import { readSyncReply } from './sync-reply';

const ACK_TIMEOUT_MS = 10_000;
const RECONNECT_BASE_MS = 500;
const RECONNECT_MAX_MS = 15_000;
const STATUS_RETRY_MS = 1_000;
/** Coalesces bursts of changes (a deploy storm) into one resources event. */
const RESOURCES_DEBOUNCE_MS = 250;

type RootSocket = Socket<RootToClusterEvents, ClusterToRootEvents>;

/**
 * The cluster's Socket.IO link to the root. The cluster dials (it may sit behind NAT) and keeps
 * dialling with exponential backoff. On every connect and on a timer it sends everything it has
 * and converges on the root's answer; statuses raised meanwhile wait in the outbox.
 */
@Injectable()
export class RootLinkService {
  private readonly log: Logger;
  private socket: RootSocket | undefined;
  private clusterId: string | undefined;
  private timers: NodeJS.Timeout[] = [];
  private reconnectTimer: NodeJS.Timeout | undefined;
  private resourcesTimer: NodeJS.Timeout | undefined;
  private reconnectAttempts = 0;
  private syncing = false;
  private flushing = false;
  private lastResources = '';
  private stopped = false;

  constructor(
    @Inject(CLUSTER_CONFIG) private readonly config: ClusterConfig,
    @Inject(CLUSTER_LOGGER) logger: Logger,
    private readonly instances: InstancesService,
    private readonly outbox: RootOutbox,
    private readonly logs: InstanceLogsService,
  ) {
    this.log = logger.child({ component: 'root-link' });
  }

  get connected(): boolean {
    return this.socket?.connected ?? false;
  }

  start(): void {
    const auth: ClusterHandshakeDto = {
      token: this.config.clusterToken,
      name: this.config.clusterName,
      ...(this.config.clusterLocation !== undefined ? { location: this.config.clusterLocation } : {}),
    };
    const socket: RootSocket = io(`${this.config.rootUrl}${SOCKET_NAMESPACE}`, {
      auth: { ...auth },
      transports: ['websocket'],
      // An https:// root is verified against ROOT_CA_FILE when given, else the system's store.
      ...(this.config.rootCaFile === undefined ? {} : { ca: readFileSync(this.config.rootCaFile, 'utf8') }),
      reconnection: true,
      reconnectionDelay: RECONNECT_BASE_MS,
      reconnectionDelayMax: RECONNECT_MAX_MS,
      randomizationFactor: 0.5,
    });
    this.socket = socket;

    socket.on('connect', () => {
      this.reconnectAttempts = 0;
      this.log.info({ rootUrl: this.config.rootUrl }, 'connected to root');
      this.lastResources = '';
      void this.sync();
      void this.flushStatuses();
    });
    socket.on('disconnect', (reason) => {
      this.log.warn({ reason }, 'disconnected from root');
      // The server hung up on purpose; socket.io does not redial in that case, but a cluster must.
      if (reason === 'io server disconnect') {
        this.redialLater();
      }
    });
    socket.on('connect_error', (err) => {
      this.log.warn({ err: err.message, rootUrl: this.config.rootUrl }, 'root connection failed');
      // A refusal by the root's middleware (e.g. a bad token) stops socket.io's own retries.
      if (!socket.active) {
        this.redialLater();
      }
    });
    socket.on('instance:deploy', (payload: unknown, ack?: (reply: Ack) => void) => {
      const spec = validateInput(InstanceSpecDto, payload);
      if (!spec.ok) {
        this.log.warn({ errors: spec.errors.slice(0, 5) }, 'invalid deploy from root refused');
        return reply(ack, { ok: false, error: describe(spec.errors) });
      }
      this.instances.deployCommanded(spec.value);
      reply(ack, { ok: true });
    });
    socket.on('instance:delete', (payload: unknown, ack?: (reply: Ack) => void) => {
      const key = validateInput(InstanceKeyDto, payload);
      if (!key.ok) {
        this.log.warn({ errors: key.errors.slice(0, 5) }, 'invalid delete from root refused');
        return reply(ack, { ok: false, error: describe(key.errors) });
      }
      this.instances.deleteCommanded(key.value);
      reply(ack, { ok: true });
    });
    socket.on('instance:logs', (payload: unknown, ack?: (reply: LogsReply) => void) => {
      const request = validateInput(LogsRequestDto, payload);
      if (!request.ok) {
        this.log.warn({ errors: request.errors.slice(0, 5) }, 'invalid logs request from root refused');
        if (typeof ack === 'function') {
          ack({ ok: false, error: describe(request.errors) });
        }
        return;
      }
      void this.logs.fetch(request.value).then((answer) => {
        if (typeof ack === 'function') {
          ack(answer);
        }
      });
    });

    this.outbox.onReport(() => void this.flushStatuses());
    this.outbox.onResourcesChanged(() => this.resourcesSoon());
    this.timers.push(
      setInterval(() => void this.sync(), this.config.syncIntervalMs),
      setInterval(() => this.emitResources(true), this.config.resourcesIntervalMs),
      setInterval(() => void this.flushStatuses(), STATUS_RETRY_MS),
      // The root judges a cluster by this (CLUSTER_SUSPECT_MS), not by the TCP connection alone.
      setInterval(() => this.heartbeat(), CLUSTER_HEARTBEAT_INTERVAL_MS),
    );
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers) {
      clearInterval(t);
    }
    this.timers = [];
    clearTimeout(this.reconnectTimer);
    clearTimeout(this.resourcesTimer);
    this.socket?.removeAllListeners();
    this.socket?.disconnect();
    this.socket = undefined;
  }

  /** Full state up, full desired set back, converge. */
  private async sync(): Promise<void> {
    const socket = this.socket;
    if (!socket?.connected || this.syncing) {
      return;
    }
    this.syncing = true;
    try {
      const payload: ClusterSyncDto = { resources: this.instances.resources(), instances: this.instances.reports() };
      const askedAt = this.instances.commandMark();
      const reply: unknown = await socket.timeout(ACK_TIMEOUT_MS).emitWithAck('cluster:sync', payload);
      if (this.stopped) {
        return;
      }
      this.applySyncReply(reply, askedAt);
    } catch (err) {
      this.log.warn({ err: err instanceof Error ? err.message : String(err) }, 'cluster sync failed');
    } finally {
      this.syncing = false;
    }
  }

  private applySyncReply(reply: unknown, askedAt: number): void {
    const read = readSyncReply(reply);
    if (!read.ok) {
      this.log.warn({ error: read.error }, 'root refused cluster sync');
      return;
    }
    if (read.clusterId !== undefined && read.clusterId !== this.clusterId) {
      this.clusterId = read.clusterId;
      this.log.info({ clusterId: read.clusterId }, 'cluster id assigned by root');
    }
    if (read.invalid > 0) {
      this.log.warn({ invalid: read.invalid }, 'invalid desired instances in sync reply ignored');
    }
    // A malformed entry switches deletes off for this round only: nothing running is removed on its account.
    this.instances.reconcile(read.specs, read.invalid === 0, askedAt);
  }

  /** Delivers pending statuses in order; stops at the first timeout and tries again later. */
  private async flushStatuses(): Promise<void> {
    if (this.flushing || !this.socket?.connected || this.outbox.size === 0) {
      return;
    }
    this.flushing = true;
    try {
      // Reports raised while this loop awaits acks join the next round instead of waiting for the timer.
      for (let batch = this.outbox.snapshot(); batch.length > 0; batch = this.outbox.snapshot()) {
        for (const report of batch) {
          const socket = this.socket;
          if (!socket?.connected) {
            return;
          }
          const ack: unknown = await socket.timeout(ACK_TIMEOUT_MS).emitWithAck('instance:status', report);
          if ((ack as { ok?: unknown } | null)?.ok !== true) {
            // The root read it and said no (e.g. an instance it no longer knows): retrying would not help.
            this.log.warn({ serviceId: report.serviceId, status: report.status, ack }, 'root refused instance status');
          }
          this.outbox.delivered(report);
        }
      }
    } catch (err) {
      this.log.debug({ err: err instanceof Error ? err.message : String(err) }, 'instance status not acknowledged');
    } finally {
      this.flushing = false;
    }
  }

  private heartbeat(): void {
    if (this.socket?.connected) {
      this.socket.emit('cluster:heartbeat', { sentAt: Date.now() });
      const usage = this.outbox.takeUsage();
      if (usage.length > 0) {
        this.socket.emit('instance:usage', { instances: usage.slice(-MAX_USAGE_ENTRIES) });
      }
    }
  }

  private resourcesSoon(): void {
    if (this.resourcesTimer !== undefined) {
      return;
    }
    this.resourcesTimer = setTimeout(() => {
      this.resourcesTimer = undefined;
      this.emitResources(false);
    }, RESOURCES_DEBOUNCE_MS);
  }

  private emitResources(always: boolean): void {
    if (!this.socket?.connected) {
      return;
    }
    const resources: ClusterResourcesDto = this.instances.resources();
    const json = JSON.stringify(resources);
    if (!always && json === this.lastResources) {
      return;
    }
    this.lastResources = json;
    this.socket.emit('cluster:resources', resources);
  }

  private redialLater(): void {
    if (this.stopped || this.reconnectTimer !== undefined) {
      return;
    }
    const exp = Math.min(RECONNECT_MAX_MS, RECONNECT_BASE_MS * 2 ** this.reconnectAttempts);
    const delay = exp * (0.5 + Math.random() * 0.5);
    this.reconnectAttempts += 1;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      if (!this.stopped && this.socket && !this.socket.connected) {
        this.socket.connect();
      }
    }, delay);
  }
}

function reply(ack: ((reply: Ack) => void) | undefined, value: Ack): void {
  if (typeof ack === 'function') {
    ack(value);
  }
}

function describe(errors: { path: string; message: string }[]): string {
  return errors
    .slice(0, 5)
    .map((e) => `${e.path}: ${e.message}`)
    .join('; ');
}
