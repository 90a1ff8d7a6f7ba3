import { Inject, Injectable } from '@nestjs/common';
import {
  MAX_INFRASTRUCTURE_ELEMENTS_PER_CLUSTER,
  buildInfrastructureElement,
  defaultInfrastructureElementId,
  type InfrastructureElement,
  type NodeInformation,
  type NodeRegisterRequest,
} from '@canopy/schema';
import { ConflictError, NotFoundError } from '@canopy/nest-edge';
import type { Logger } from 'pino';
import { Clock, IdGenerator } from '../common/clock';
import { constantTimeEqual, sha256 } from '../common/secrets';
import { CLUSTER_CONFIG, CLUSTER_LOGGER } from '../common/tokens';
import type { ClusterConfig } from '../config/cluster-config';
import { ClusterRepository, type NodeRecord } from '../persistence/cluster.repository';
import type { NodeAuth } from './node-token.guard';
import { NodeSessions } from './node-sessions';
import { authorizeRegistration } from './registration-authority';
import { NodeLiveness, type LivenessMode, type LivenessVerdict, type NodeLiveState } from './node-liveness';

export type { LivenessMode, NodeLiveState } from './node-liveness';

export interface NodeView extends NodeRecord {
  active: boolean;
  live?: NodeLiveState | undefined;
}

/** The node registry: who may log in, who is alive, what each said last. */
@Injectable()
export class NodesService {
  private readonly log: Logger;
  private readonly nodes = new Map<string, NodeRecord>();
  /** Node id by the SHA-256 of its registration credential. */
  private readonly credentials = new Map<string, string>();
  /** Indexes for registration, which would otherwise scan every node twice: name → id, IE id → name. */
  private readonly byName = new Map<string, string>();
  private readonly byIeId = new Map<string, string>();
  private readonly liveness: NodeLiveness;
  private topology = 0;
  private usage = 0;
  private warnedIeCap = false;

  constructor(
    @Inject(CLUSTER_CONFIG) private readonly config: ClusterConfig,
    @Inject(CLUSTER_LOGGER) logger: Logger,
    private readonly repo: ClusterRepository,
    private readonly clock: Clock,
    private readonly ids: IdGenerator,
    private readonly sessions: NodeSessions,
  ) {
    this.log = logger.child({ component: 'nodes' });
    this.liveness = new NodeLiveness(
      {
        livenessMs: config.nodeLivenessMs,
        lostMs: config.nodeLostMs,
        tickMs: livenessTickMs(config.nodeLivenessMs),
        baseIntervalMs: config.nodeReportIntervalMs,
        maxIntervalMs: config.nodeReportIntervalMaxMs,
      },
      this.log,
    );
    for (const node of repo.listNodes()) {
      this.index(node);
    }
  }

  /**
   * Registers a node, or re-registers it under the same id when the name is known; issues a fresh
   * MQTT password. A new name needs a join token and gets the node's own credential back; a known
   * name needs that node's credential. A known name without a credential on record (registered
   * before credentials existed, or reset by the operator) takes a join token once, and only while
   * no one is connected or heartbeating as that node: a join token holder cannot race a live node.
   * A retry of a join-token registration (the same `attemptId`) whose answer was lost gets the
   * name's credential issued again, under the same rule.
   * @throws ConflictError NODE_NAME_TAKEN (join token, the name has a credential), NODE_CONNECTED
   *   (join token, the node without a credential is live), IE_ID_TAKEN (another node uses the IE id).
   * @throws ForbiddenError when the credential belongs to another node.
   */
  register(req: NodeRegisterRequest, auth: NodeAuth): { node: NodeRecord; password: string; credential?: string } {
    const existingId = this.byName.get(req.name);
    const existing = existingId === undefined ? undefined : this.nodes.get(existingId);
    const attemptSha256 = req.attemptId === undefined ? undefined : sha256(req.attemptId);
    const issue = authorizeRegistration(
      req.name,
      existing,
      auth,
      attemptSha256,
      (id) => this.sessions.isConnected(id) || this.isActive(id),
    );
    // Two nodes under one IE id would make `selectedIE` match both; refuse the newcomer, by name.
    // Derived ids count too: a configured id may spell another node's default one, and the reverse.
    const wanted = this.ieIdOf(req);
    const holder = this.byIeId.get(wanted);
    if (holder !== undefined && holder !== req.name) {
      const message = `IE id ${wanted} is already used by node ${holder}`;
      throw new ConflictError(message, [{ path: req.ieId === undefined ? 'name' : 'ieId', message }], 'IE_ID_TAKEN');
    }
    const credential = issue ? this.ids.secret() : undefined;
    const password = this.ids.secret();
    const node: NodeRecord = {
      id: existing?.id ?? this.freshId(req.previousId),
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
      credentialSha256: credential === undefined ? existing?.credentialSha256 : sha256(credential),
      // Kept with a credential a join token got, for a retry whose answer is lost; a node that
      // registers with its credential got the answer, and its attempt is done.
      attemptSha256: credential !== undefined && auth.kind === 'join' ? attemptSha256 : undefined,
      registeredAt: this.clock.now(),
    };
    this.repo.saveNode(node);
    if (existing !== undefined) {
      this.byIeId.delete(this.ieIdOf(existing));
      if (credential !== undefined && existing.credentialSha256 !== undefined) {
        // Issued again (a retried attempt): the credential whose answer was lost stops working.
        this.credentials.delete(existing.credentialSha256);
      }
    }
    this.index(node);
    this.topology++;
    const reissued = credential !== undefined && existing?.credentialSha256 !== undefined;
    this.log.info(
      { nodeId: node.id, nodeName: node.name, reregistered: existing !== undefined, ...(reissued ? { reissued } : {}) },
      reissued ? 'node registered again by a retried attempt; its unreceived credential replaced' : 'node registered',
    );
    return credential === undefined ? { node, password } : { node, password, credential };
  }

  /**
   * The operator's approval for a node that lost its credential: the name takes a join token once
   * more (keeping its id), and the old credential and broker password stop working.
   * @throws NotFoundError when no node has that name.
   */
  resetCredential(name: string): NodeRecord {
    const id = this.byName.get(name);
    const node = id === undefined ? undefined : this.nodes.get(id);
    if (node === undefined) {
      throw new NotFoundError('node', name);
    }
    if (node.credentialSha256 !== undefined) {
      this.credentials.delete(node.credentialSha256);
    }
    // The broker login goes too: whoever holds the name now (an impostor, say) is out.
    const reset: NodeRecord = {
      ...node,
      credentialSha256: undefined,
      attemptSha256: undefined,
      passwordSha256: sha256(this.ids.secret()),
    };
    this.repo.saveNode(reset);
    this.nodes.set(node.id, reset);
    this.log.warn({ nodeId: node.id, nodeName: name }, 'node credential reset by the operator');
    return reset;
  }

  /** The node whose registration credential this is, if any. */
  byCredential(presented: string): NodeRecord | undefined {
    const id = this.credentials.get(sha256(presented));
    return id === undefined ? undefined : this.nodes.get(id);
  }

  /** The id the node had before, when it is free (the cluster forgot the node); else a new one. */
  private freshId(previousId: string | undefined): string {
    return previousId !== undefined && !this.nodes.has(previousId) ? previousId : this.ids.nodeId();
  }

  private index(node: NodeRecord): void {
    this.nodes.set(node.id, node);
    this.byName.set(node.name, node.id);
    this.byIeId.set(this.ieIdOf(node), node.name);
    if (node.credentialSha256 !== undefined) {
      this.credentials.set(node.credentialSha256, node.id);
    }
  }

  /** Registered nodes, without copying any (for `/health` and metrics). */
  get size(): number {
    return this.nodes.size;
  }

  /**
   * Nodes active as of the last liveness check (at most a quarter of NODE_LIVENESS_MS old), in
   * O(1); `countActive()` is the exact, O(active) answer.
   */
  get activeCount(): number {
    return this.liveness.activeCount;
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
    this.usage++;
    if (!this.liveness.heartbeat(nodeId, info, this.clock.now())) {
      return false;
    }
    this.topology++;
    this.log.info({ nodeId }, 'node active');
    return true;
  }

  /**
   * Judges every registered node (see {@link NodeLiveness}): the ids that just went inactive, and
   * those inactive past `nodeLostMs` and now declared lost (each once; none while the cluster
   * suspects its own network, or right after it was itself paused).
   */
  checkLiveness(): LivenessVerdict {
    const verdict = this.liveness.check(this.nodes.keys(), this.clock.now());
    if (verdict.inactive.length > 0) {
      this.topology++;
    }
    return verdict;
  }

  setLivenessWindow(livenessMs: number): void {
    this.liveness.setLivenessMs(livenessMs);
  }

  isActive(nodeId: string): boolean {
    return this.liveness.isActive(nodeId, this.clock.now());
  }

  /** Declared lost and not heard from since. */
  isLost(nodeId: string): boolean {
    return this.liveness.isLost(nodeId);
  }

  /** The cluster's own liveness judgement (full disruption, grace after a pause), for `/health`. */
  livenessMode(): LivenessMode {
    return this.liveness.mode(this.clock.now());
  }

  list(): NodeView[] {
    return [...this.nodes.values()].map((n) => ({
      ...n,
      active: this.isActive(n.id),
      live: this.liveness.state(n.id),
    }));
  }

  /** The IE id a node has: the one it configured, else the one derived from the domain and its name. */
  private ieIdOf(node: { name: string; ieId?: string | undefined }): string {
    return node.ieId ?? defaultInfrastructureElementId(this.domain, node.name);
  }

  private get domain(): string {
    return this.config.clusterDomain;
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
    if (this.nodes.size > MAX_INFRASTRUCTURE_ELEMENTS_PER_CLUSTER && !this.warnedIeCap) {
      this.warnedIeCap = true;
      this.log.warn(
        { nodes: this.nodes.size, reported: MAX_INFRASTRUCTURE_ELEMENTS_PER_CLUSTER },
        'more nodes than infrastructure elements the root accepts; reporting the first',
      );
    }
    // Stops at the cap: at 50,000 nodes a copy of all of them every few seconds was a cost of its own.
    const elements: InfrastructureElement[] = [];
    for (const n of this.nodes.values()) {
      if (elements.length === MAX_INFRASTRUCTURE_ELEMENTS_PER_CLUSTER) {
        break;
      }
      const state = { active: this.isActive(n.id), info: this.liveness.state(n.id)?.info };
      elements.push(buildInfrastructureElement(n, state, context));
    }
    return elements;
  }

  /** Seconds since each active node's last heartbeat: mean and max (for `/metrics`). */
  heartbeatAge(): { mean: number; max: number } {
    const { mean, max } = this.liveness.heartbeatAgeMs(this.clock.now());
    return { mean: mean / 1000, max: max / 1000 };
  }

  /**
   * Each node active now with its last heartbeat, in O(active), copying no record: the aggregates
   * for the root and `/metrics` read this every few seconds.
   */
  forEachActive(visit: (node: NodeRecord, live: NodeLiveState) => void): void {
    this.liveness.forEachActive(this.clock.now(), (nodeId, live) => {
      const node = this.nodes.get(nodeId);
      if (node !== undefined) {
        visit(node, live);
      }
    });
  }

  /** The exact number of nodes active now (`activeCount` is as of the last liveness check). */
  countActive(): number {
    let n = 0;
    this.forEachActive(() => n++);
    return n;
  }

  /** Registered node ids, oldest registration first, as a copy (one per resync round, not per tick). */
  nodeIds(): string[] {
    return [...this.nodes.keys()];
  }
}

/** How often the cluster judges its nodes' liveness. */
export function livenessTickMs(nodeLivenessMs: number): number {
  return Math.max(100, Math.min(1000, Math.floor(nodeLivenessMs / 4)));
}
