import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import {
  parseLatLong,
  type Ack,
  type ClusterResourcesDto,
  type InstanceKeyDto,
  type InstanceSpecDto,
  type LogsReply,
  type LogsRequestDto,
} from '@canopy/schema';
import { CLOCK, LOGGER, ROOT_CONFIG, type Clock } from '../common/tokens';
import type { RootConfig } from '../config/root-config';
import type { ClusterRecord } from '../persistence/records';
import { STORE, type Store } from '../persistence/store.port';
import type { ClusterCandidate } from '../scheduling/root-scheduler';

/** The commands the root sends down one cluster's live connection. */
export interface ClusterChannel {
  readonly connectionId: string;
  deploy(spec: InstanceSpecDto, timeoutMs: number): Promise<Ack>;
  delete(key: InstanceKeyDto, timeoutMs: number): Promise<Ack>;
  logs(request: LogsRequestDto, timeoutMs: number): Promise<LogsReply>;
}

export interface ClusterView {
  id: string;
  cluster_name: string;
  cluster_location: string | null;
  active: boolean;
  last_seen: string | null;
  resources: ClusterResourcesDto | null;
}

const NOT_CONNECTED: { ok: false; error: string } = { ok: false, error: 'cluster not connected' };

/**
 * The registry of clusters: durable records plus who is connected right now. A cluster is
 * active while its Socket.IO connection is up; the connection is the liveness signal.
 */
@Injectable()
export class ClustersService {
  private readonly channels = new Map<string, ClusterChannel>();
  private readonly resources = new Map<string, ClusterResourcesDto>();

  constructor(
    @Inject(STORE) private readonly store: Store,
    @Inject(ROOT_CONFIG) private readonly config: RootConfig,
    @Inject(LOGGER) private readonly log: Logger,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /** A cluster dialed in: find it by name or register it. The newest connection replaces an older one. */
  async attach(name: string, location: string | undefined, channel: ClusterChannel): Promise<ClusterRecord> {
    const record = await this.store.transaction(async () => {
      const [existing] = await this.store.clusters.find({ name });
      const now = this.clock.now().toISOString();
      if (existing) {
        const next: ClusterRecord = { ...existing, lastSeenAt: now };
        if (location !== undefined) {
          next.location = location;
        }
        return this.store.clusters.update(next);
      }
      const fresh: Omit<ClusterRecord, 'version' | 'createdAt' | 'updatedAt'> = {
        id: randomUUID(),
        name,
        lastSeenAt: now,
      };
      if (location !== undefined) {
        fresh.location = location;
      }
      return this.store.clusters.insert(fresh);
    });
    this.channels.set(record.id, channel);
    this.log.info({ clusterId: record.id, cluster: name }, 'cluster connected');
    return record;
  }

  detach(clusterId: string, connectionId: string): void {
    if (this.channels.get(clusterId)?.connectionId !== connectionId) {
      return;
    }
    this.channels.delete(clusterId);
    this.log.warn({ clusterId }, 'cluster disconnected');
  }

  setResources(clusterId: string, resources: ClusterResourcesDto): void {
    this.resources.set(clusterId, resources);
  }

  isConnected(clusterId: string): boolean {
    return this.channels.has(clusterId);
  }

  async get(clusterId: string): Promise<ClusterRecord | undefined> {
    return this.store.clusters.get(clusterId);
  }

  async list(onlyActive = false): Promise<ClusterView[]> {
    const records = await this.store.clusters.find();
    return records
      .map((c) => ({
        id: c.id,
        cluster_name: c.name,
        cluster_location: c.location ?? null,
        active: this.channels.has(c.id),
        last_seen: c.lastSeenAt ?? null,
        resources: this.resources.get(c.id) ?? null,
      }))
      .filter((c) => !onlyActive || c.active);
  }

  /**
   * Every known cluster as a scheduling candidate; only connected clusters with a live node are
   * active. Free room is what the cluster last reported; `largestNodeFree(ByArch)` caps what one
   * instance may ask; the location is the cluster's `CLUSTER_LOCATION` when it is `lat,long`.
   * A plain array, not a CandidateTable: a root has tens of clusters, not thousands of nodes.
   */
  async candidates(): Promise<ClusterCandidate[]> {
    const records = await this.store.clusters.find();
    return records.map((c) => {
      const r = this.resources.get(c.id);
      const candidate: ClusterCandidate = {
        id: c.id,
        name: c.name,
        active: this.channels.has(c.id) && r !== undefined && r.activeNodes > 0,
        allocatable: r
          ? { cpuMillis: r.cpuMillisFree, memoryMb: r.memoryMbFree, gpus: r.gpusFree }
          : { cpuMillis: 0, memoryMb: 0, gpus: 0 },
        architectures: r?.architectures ?? [],
        labels: {},
      };
      if (r) {
        candidate.largestNodeFree = { ...r.largestNodeFree };
      }
      if (r?.largestNodeFreeByArch !== undefined) {
        candidate.largestNodeFreeByArch = r.largestNodeFreeByArch;
      }
      if (r?.netRxBps !== undefined) {
        candidate.netRxBps = r.netRxBps;
      }
      const location = parseLatLong(c.location);
      if (location !== undefined) {
        candidate.location = location;
      }
      return candidate;
    });
  }

  async sendDeploy(clusterId: string, spec: InstanceSpecDto): Promise<Ack> {
    const channel = this.channels.get(clusterId);
    return channel ? channel.deploy(spec, this.config.clusterAckTimeoutMs) : NOT_CONNECTED;
  }

  async sendDelete(clusterId: string, key: InstanceKeyDto): Promise<Ack> {
    const channel = this.channels.get(clusterId);
    return channel ? channel.delete(key, this.config.clusterAckTimeoutMs) : NOT_CONNECTED;
  }

  /** Asks the cluster for the tail of an instance's log; the cluster fetches it from the node. */
  async requestLogs(clusterId: string, request: LogsRequestDto): Promise<LogsReply> {
    const channel = this.channels.get(clusterId);
    // Two hops (root → cluster → node), so allow twice the single-command wait.
    return channel ? channel.logs(request, this.config.clusterAckTimeoutMs * 2) : NOT_CONNECTED;
  }
}
