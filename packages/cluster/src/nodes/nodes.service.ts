import { Inject, Injectable } from '@nestjs/common';
import {
  MAX_INFRASTRUCTURE_ELEMENTS_PER_CLUSTER,
  buildInfrastructureElement,
  defaultInfrastructureElementId,
  type InfrastructureElement,
  type NodeInformation,
  type NodeRegisterRequest,
} from '@canopy/schema';
import { ConflictError } from '@canopy/nest-edge';
import type { Logger } from 'pino';
import { Clock, IdGenerator } from '../common/clock';
import { constantTimeEqual, sha256 } from '../common/secrets';
import { CLUSTER_CONFIG, CLUSTER_LOGGER } from '../common/tokens';
import type { ClusterConfig } from '../config/cluster-config';
import { ClusterRepository, type NodeRecord } from '../persistence/cluster.repository';

/** What the last heartbeat said; kept in memory only (after a restart every node is inactive until it speaks). */
export interface NodeLiveState {
  lastSeen: number;
  info: NodeInformation;
}

export interface NodeView extends NodeRecord {
  active: boolean;
  live?: NodeLiveState | undefined;
}

/** The node registry: who may log in, who is alive, what each said last. */
@Injectable()
export class NodesService {
  private readonly log: Logger;
  private readonly nodes = new Map<string, NodeRecord>();
  /** Indexes for registration, which would otherwise scan every node twice: name → id, IE id → name. */
  private readonly byName = new Map<string, string>();
  private readonly byIeId = new Map<string, string>();
  private readonly live = new Map<string, NodeLiveState>();
  /** Nodes considered active at the last liveness check, to report transitions once. */
  private readonly active = new Set<string>();
  /** When each registered, inactive node was last seen going (or found) silent. */
  private readonly inactiveSince = new Map<string, number>();
  private readonly lost = new Set<string>();
  private topology = 0;
  private usage = 0;
  private warnedIeCap = false;

  constructor(
    @Inject(CLUSTER_CONFIG) private readonly config: ClusterConfig,
    @Inject(CLUSTER_LOGGER) logger: Logger,
    private readonly repo: ClusterRepository,
    private readonly clock: Clock,
    private readonly ids: IdGenerator,
  ) {
    this.log = logger.child({ component: 'nodes' });
    for (const node of repo.listNodes()) {
      this.index(node);
    }
  }

  /**
   * Registers a node, or re-registers it under the same id when the name is known; issues a fresh MQTT password.
   * @throws ConflictError when another node already uses the aerOS IE id this one configured.
   */
  register(req: NodeRegisterRequest): { node: NodeRecord; password: string } {
    const existingId = this.byName.get(req.name);
    const existing = existingId === undefined ? undefined : this.nodes.get(existingId);
    // Two nodes under one IE id would make `selectedIE` match both; refuse the newcomer, by name.
    // Derived ids count too: a configured id may spell another node's default one, and the reverse.
    const wanted = this.ieIdOf(req);
    const holder = this.byIeId.get(wanted);
    if (holder !== undefined && holder !== req.name) {
      const message = `IE id ${wanted} is already used by node ${holder}`;
      throw new ConflictError(message, [{ path: req.ieId === undefined ? 'name' : 'ieId', message }], 'IE_ID_TAKEN');
    }
    const password = this.ids.secret();
    const node: NodeRecord = {
      id: existing?.id ?? this.ids.nodeId(),
      name: req.name,
      arch: req.arch,
      cpuCores: req.cpuCores,
      memoryMb: req.memoryMb,
      gpus: req.gpus ?? 0,
      publicIp: req.publicIp,
      labels: req.labels ?? {},
      location: req.location,
      ieId: req.ieId,
      passwordSha256: sha256(password),
      registeredAt: this.clock.now(),
    };
    this.repo.saveNode(node);
    if (existing !== undefined) {
      this.byIeId.delete(this.ieIdOf(existing));
    }
    this.index(node);
    this.topology++;
    this.log.info({ nodeId: node.id, nodeName: node.name, reregistered: existing !== undefined }, 'node registered');
    return { node, password };
  }

  private index(node: NodeRecord): void {
    this.nodes.set(node.id, node);
    this.byName.set(node.name, node.id);
    this.byIeId.set(this.ieIdOf(node), node.name);
  }

  /** Registered nodes, without copying any (for `/health` and metrics). */
  get size(): number {
    return this.nodes.size;
  }

  /**
   * Nodes active as of the last liveness check (at most a quarter of NODE_LIVENESS_MS old), in
   * O(1); `activeIds()` is the exact, O(n) answer.
   */
  get activeCount(): number {
    return this.active.size;
  }

  /**
   * Changes whenever what placement depends on changes: a node registers (or re-registers with
   * other resources or labels), becomes active or goes inactive. The scheduler rebuilds its node
   * table only then, not on every heartbeat.
   */
  get topologyVersion(): number {
    return this.topology;
  }

  /** Changes on every heartbeat (live usage: CPU busy, network receive rate; they only break ties). */
  get usageVersion(): number {
    return this.usage;
  }

  verifyPassword(nodeId: string, password: string): boolean {
    const node = this.nodes.get(nodeId);
    // Compare even for unknown ids so timing does not reveal which ids exist.
    return constantTimeEqual(sha256(password), node?.passwordSha256 ?? '') && node !== undefined;
  }

  get(nodeId: string): NodeRecord | undefined {
    return this.nodes.get(nodeId);
  }

  /** Records a heartbeat; true when this made the node active (first beat, after silence, after restart). */
  heartbeat(nodeId: string, info: NodeInformation): boolean {
    this.live.set(nodeId, { lastSeen: this.clock.now(), info });
    this.usage++;
    if (this.active.has(nodeId)) {
      return false;
    }
    this.active.add(nodeId);
    this.inactiveSince.delete(nodeId);
    this.lost.delete(nodeId);
    this.topology++;
    this.log.info({ nodeId }, 'node active');
    return true;
  }

  /** Marks silent nodes inactive; returns the ids that just went inactive. */
  checkLiveness(): string[] {
    const now = this.clock.now();
    const gone: string[] = [];
    for (const nodeId of this.active) {
      const seen = this.live.get(nodeId)?.lastSeen ?? 0;
      if (now - seen > this.config.nodeLivenessMs) {
        this.active.delete(nodeId);
        this.topology++;
        gone.push(nodeId);
        this.log.warn({ nodeId, silentMs: now - seen }, 'node inactive');
      }
    }
    return gone;
  }

  /**
   * Registered nodes inactive for longer than `nodeLostMs` and not yet declared lost; each is
   * returned once. A node that was never heard from since this cluster started counts from the
   * first check, so a cluster restart does not declare every node lost at once.
   */
  checkLost(): string[] {
    const now = this.clock.now();
    const lostAfter = Math.max(this.config.nodeLostMs ?? 60_000, this.config.nodeLivenessMs);
    const newlyLost: string[] = [];
    for (const nodeId of this.nodes.keys()) {
      if (this.active.has(nodeId) || this.lost.has(nodeId)) {
        continue;
      }
      const since = this.inactiveSince.get(nodeId) ?? this.live.get(nodeId)?.lastSeen;
      if (since === undefined) {
        this.inactiveSince.set(nodeId, now);
        continue;
      }
      if (now - since > lostAfter) {
        this.lost.add(nodeId);
        newlyLost.push(nodeId);
        this.log.warn({ nodeId, silentMs: now - since }, 'node declared lost');
      }
    }
    return newlyLost;
  }

  isActive(nodeId: string): boolean {
    const seen = this.live.get(nodeId)?.lastSeen;
    return this.active.has(nodeId) && seen !== undefined && this.clock.now() - seen <= this.config.nodeLivenessMs;
  }

  list(): NodeView[] {
    return [...this.nodes.values()].map((n) => ({ ...n, active: this.isActive(n.id), live: this.live.get(n.id) }));
  }

  /** The IE id a node has: the one it configured, else the one derived from the domain and its name. */
  private ieIdOf(node: { name: string; ieId?: string | undefined }): string {
    return node.ieId ?? defaultInfrastructureElementId(this.domain, node.name);
  }

  private get domain(): string {
    return this.config.clusterDomain ?? this.config.clusterName;
  }

  /**
   * Every registered node as an aerOS Infrastructure Element, live or not (a silent node is listed
   * as not Ready rather than dropped, so a CR pinned to it still resolves and waits for it).
   * Capped at what the root accepts from one cluster; the oldest registrations come first.
   */
  infrastructureElements(): InfrastructureElement[] {
    const context = {
      domain: this.domain,
      fallbackLocation: this.config.clusterLocation,
    };
    const all = [...this.nodes.values()];
    if (all.length > MAX_INFRASTRUCTURE_ELEMENTS_PER_CLUSTER && !this.warnedIeCap) {
      this.warnedIeCap = true;
      this.log.warn(
        { nodes: all.length, reported: MAX_INFRASTRUCTURE_ELEMENTS_PER_CLUSTER },
        'more nodes than infrastructure elements the root accepts; reporting the first',
      );
    }
    return all
      .slice(0, MAX_INFRASTRUCTURE_ELEMENTS_PER_CLUSTER)
      .map((n) =>
        buildInfrastructureElement(n, { active: this.isActive(n.id), info: this.live.get(n.id)?.info }, context),
      );
  }

  /** Seconds since each active node's last heartbeat: mean and max (for `/metrics`). */
  heartbeatAge(): { mean: number; max: number } {
    const now = this.clock.now();
    let sum = 0;
    let max = 0;
    for (const nodeId of this.active) {
      const age = now - (this.live.get(nodeId)?.lastSeen ?? now);
      sum += age;
      max = Math.max(max, age);
    }
    return { mean: this.active.size === 0 ? 0 : sum / this.active.size / 1000, max: max / 1000 };
  }

  activeIds(): string[] {
    return [...this.nodes.keys()].filter((id) => this.isActive(id));
  }
}
