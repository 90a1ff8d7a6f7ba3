import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import {
  IE_STATUS_UNAVAILABLE,
  findInfrastructureElementById,
  parseLatLong,
  resolveSelectedIE,
  type Ack,
  type ClusterResourcesDto,
  type IEResolution,
  type InfrastructureElement,
  type InfrastructureElementView,
  type SelectedIERef,
  type InstanceKeyDto,
  type InstanceSpecDto,
  type LogsReply,
  type LogsRequestDto,
} from '@canopy/schema';
import { ConflictError, NotFoundError } from '@canopy/nest-edge';
import { CLOCK, LOGGER, ROOT_CONFIG, type Clock } from '../common/tokens';
import type { RootConfig } from '../config/root-config';
import type { ClusterRecord } from '../persistence/records';
import { STORE, type Store } from '../persistence/store.port';
import type { ClusterCandidate } from '../scheduling/root-scheduler';
import { SilenceClock, clusterState, type ClusterState } from './cluster-liveness';
import { toClusterView, type ClusterView } from './cluster-view';

/** How often the root judges its clusters' silence. */
export const LIVENESS_TICK_MS = 1_000;

/** The commands the root sends down one cluster's live connection. */
export interface ClusterChannel {
  readonly connectionId: string;
  deploy(spec: InstanceSpecDto, timeoutMs: number): Promise<Ack>;
  delete(key: InstanceKeyDto, timeoutMs: number): Promise<Ack>;
  logs(request: LogsRequestDto, timeoutMs: number): Promise<LogsReply>;
}

export type { ClusterView } from './cluster-view';

const NOT_CONNECTED: { ok: false; error: string } = { ok: false, error: 'cluster not connected' };

/**
 * The registry of clusters: durable records plus who is connected right now. A cluster is
 * active while its Socket.IO connection is up and it was heard (heartbeat or any event) within
 * CLUSTER_SUSPECT_MS: a hung cluster keeps its TCP connection open for a while.
 */
@Injectable()
export class ClustersService {
  private readonly channels = new Map<string, ClusterChannel>();
  /** Names whose connection is being attached right now, so two at once cannot both win. */
  private readonly attaching = new Set<string>();
  private readonly resources = new Map<string, ClusterResourcesDto>();
  private readonly silence: SilenceClock;
  /** Each cluster's nodes as aerOS IEs, as it last reported them (memory only, like resources). */
  private readonly ies = new Map<string, InfrastructureElement[]>();

  constructor(
    @Inject(STORE) private readonly store: Store,
    @Inject(ROOT_CONFIG) private readonly config: RootConfig,
    @Inject(LOGGER) private readonly log: Logger,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {
    this.silence = new SilenceClock(this.clock.now().getTime(), LIVENESS_TICK_MS);
  }

  /** Something arrived from the cluster: it is alive. */
  heard(clusterId: string): void {
    this.silence.heard(clusterId, this.clock.now().getTime());
  }

  /** The root's periodic judgement tick; returns a pause of the root's own that was forgiven (ms). */
  tick(): number {
    return this.silence.tick(this.clock.now().getTime());
  }

  silentMs(clusterId: string): number {
    return this.silence.silentFor(clusterId, this.clock.now().getTime());
  }

  state(clusterId: string): ClusterState {
    return clusterState(this.silentMs(clusterId), {
      suspectMs: this.config.clusterSuspectMs,
      lostMs: this.config.clusterLostMs,
    });
  }

  /** Connected and heard recently: may get work, and commands to it are expected to arrive. */
  isLive(clusterId: string): boolean {
    return this.channels.has(clusterId) && this.state(clusterId) === 'live';
  }

  /**
   * A cluster dialed in (admitted by `ClusterIdentityService`): find it by name or record it.
   * @throws ConflictError CLUSTER_CONNECTED when another connection holds the name (two dialed at once).
   */
  async attach(name: string, location: string | undefined, channel: ClusterChannel): Promise<ClusterRecord> {
    if (this.attaching.has(name)) {
      throw new ConflictError(`cluster ${name} is already connecting`, [], 'CLUSTER_CONNECTED');
    }
    this.attaching.add(name);
    try {
      return await this.attachOnce(name, location, channel);
    } finally {
      this.attaching.delete(name);
    }
  }

  private async attachOnce(
    name: string,
    location: string | undefined,
    channel: ClusterChannel,
  ): Promise<ClusterRecord> {
    const record = await this.store.transaction(async () => {
      const [existing] = await this.store.clusters.find({ name });
      if (existing !== undefined && this.channels.has(existing.id)) {
        throw new ConflictError(`cluster ${name} is already connected`, [], 'CLUSTER_CONNECTED');
      }
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
    this.heard(record.id);
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
    // Kept apart so `GET /api/clusters` stays a summary, not every node's IE.
    const { infrastructureElements, ...aggregates } = resources;
    this.resources.set(clusterId, aggregates);
    // A cluster that sends no list predates IEs (or was downgraded): it has none.
    if (infrastructureElements === undefined) {
      this.ies.delete(clusterId);
    } else {
      this.ies.set(clusterId, infrastructureElements);
    }
  }

  /**
   * Every known cluster's nodes as aerOS Infrastructure Elements, each with its cluster. A cluster
   * that is not connected cannot run anything, so its IEs read Unavailable whatever it last said.
   */
  async infrastructureElements(): Promise<InfrastructureElementView[]> {
    const records = await this.store.clusters.find();
    return records.flatMap((c) => {
      const connected = this.channels.has(c.id);
      return (this.ies.get(c.id) ?? []).map((ie) => ({
        ...ie,
        ...(connected ? {} : { infrastructureElementStatus: IE_STATUS_UNAVAILABLE }),
        clusterId: c.id,
        clusterName: c.name,
      }));
    });
  }

  /**
   * One IE by its id, in either spelling of aerOS's prefix (not by hostname: the route names an id).
   * @throws NotFoundError when no IE has it; ConflictError when IEs of two clusters share it.
   */
  async infrastructureElement(id: string): Promise<InfrastructureElementView> {
    const found = findInfrastructureElementById(await this.infrastructureElements(), id);
    if (found.ok) {
      return found.ie;
    }
    if (found.reason === 'ambiguous') {
      throw new ConflictError(found.message, [{ path: 'id', message: found.message }], 'IE_AMBIGUOUS');
    }
    throw new NotFoundError('infrastructure element', id);
  }

  /**
   * Which IE (so which cluster and node) a CR's `selectedIE` names: by exact id, by the
   * `urn:ngsi-ld:IE:` ≡ `urn:ngsi-ld:InfrastructureElement:` twin spelling, or by hostname (the
   * node name); `{id, hostname}` tries the id, then the hostname. A name that matches IEs in two
   * clusters is refused, not guessed. An IE that is not Ready still resolves: its status is in `ie`.
   */
  async resolveInfrastructureElement(ref: SelectedIERef): Promise<IEResolution<InfrastructureElementView>> {
    return resolveSelectedIE(await this.infrastructureElements(), ref);
  }

  isConnected(clusterId: string): boolean {
    return this.channels.has(clusterId);
  }

  async get(clusterId: string): Promise<ClusterRecord | undefined> {
    return this.store.clusters.get(clusterId);
  }

  /** One cluster's view, or undefined. */
  /** One cluster's view: one record read, not the whole list. */
  async view(clusterId: string): Promise<ClusterView | undefined> {
    const record = await this.store.clusters.get(clusterId);
    return record === undefined ? undefined : this.viewOf(record);
  }

  async list(onlyActive = false): Promise<ClusterView[]> {
    const records = await this.store.clusters.find();
    return records.map((c) => this.viewOf(c)).filter((c) => !onlyActive || c.active);
  }

  private viewOf(c: ClusterRecord): ClusterView {
    return toClusterView(c, {
      active: this.channels.has(c.id),
      resources: this.resources.get(c.id),
      state: this.state(c.id),
      silentMs: this.silentMs(c.id),
      nodes: this.ies.get(c.id),
      now: this.clock.now().getTime(),
    });
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
        active: this.isLive(c.id) && r !== undefined && r.activeNodes > 0,
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
