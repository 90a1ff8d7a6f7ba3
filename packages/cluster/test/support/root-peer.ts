import { createServer, type Server as HttpServer } from 'node:http';
import {
  SOCKET_NAMESPACE,
  instanceKeyString,
  type Ack,
  type ClusterResourcesDto,
  type ClusterSyncDto,
  type InstanceKey,
  type InstanceReportDto,
  type InstanceSpecDto,
} from '@canopy/schema';
import { Server, type Socket } from 'socket.io';
import { instanceSpec } from '@canopy/testing';

/**
 * A real Socket.IO server playing the root: checks the cluster token, keeps a desired set (changed
 * through `deploy`/`delete` like the real root would), answers `cluster:sync` with it and records
 * everything the cluster sends.
 */
export class RootPeer {
  readonly syncs: ClusterSyncDto[] = [];
  readonly statuses: InstanceReportDto[] = [];
  readonly resources: ClusterResourcesDto[] = [];
  readonly handshakes: unknown[] = [];
  readonly desired = new Map<string, InstanceSpecDto>();
  private http: HttpServer | undefined;
  private io: Server | undefined;
  private socket: Socket | undefined;
  private held: { arrived: () => void; answer: Promise<void> } | undefined;
  /** Replies to give, in order, instead of the desired set (a root answering nonsense). */
  private readonly forcedReplies: unknown[] = [];
  /** How many `cluster:sync` have been answered (forced or not). */
  answered = 0;

  constructor(
    readonly port: number,
    private readonly token: string,
  ) {}

  async start(): Promise<void> {
    const http = createServer();
    const io = new Server(http);
    io.of(SOCKET_NAMESPACE).use((socket, next) => {
      const auth = socket.handshake.auth as { token?: unknown };
      this.handshakes.push(socket.handshake.auth);
      if (auth.token !== this.token) {
        return next(new Error('unauthorized'));
      }
      next();
    });
    io.of(SOCKET_NAMESPACE).on('connection', (socket) => {
      this.socket = socket;
      socket.on('cluster:sync', (payload: ClusterSyncDto, ack: (reply: unknown) => void) => {
        this.syncs.push(payload);
        // The set as it is when the sync arrives, as the real root reads it before answering.
        const reply =
          this.forcedReplies.length > 0
            ? this.forcedReplies.shift()
            : { clusterId: 'cluster-1', desired: [...this.desired.values()] };
        this.answered++;
        const held = this.held;
        this.held = undefined;
        if (held === undefined) {
          ack(reply);
          return;
        }
        held.arrived();
        void held.answer.then(() => ack(reply));
      });
      socket.on('cluster:resources', (payload: ClusterResourcesDto) => this.resources.push(payload));
      socket.on('instance:status', (payload: InstanceReportDto, ack: (reply: Ack) => void) => {
        this.statuses.push(payload);
        ack({ ok: true });
      });
    });
    await new Promise<void>((resolve) => http.listen(this.port, '127.0.0.1', resolve));
    this.http = http;
    this.io = io;
  }

  /**
   * Holds the answer to the next `cluster:sync`: `arrived` resolves once it came (its set is read
   * then), and the answer goes out when `release` is called. What a test does in between is what a
   * root does while it builds a reply.
   */
  holdNextSync(): { arrived: Promise<void>; release: () => void } {
    let arrived!: () => void;
    let release!: () => void;
    const arrivedP = new Promise<void>((r) => (arrived = r));
    const answer = new Promise<void>((r) => (release = r));
    this.held = { arrived, answer };
    return { arrived: arrivedP, release };
  }

  /** The next `cluster:sync` is answered with `reply` as it is, whatever it is. */
  replyNextSyncWith(reply: unknown): void {
    this.forcedReplies.push(reply);
  }

  get connected(): boolean {
    return this.socket?.connected ?? false;
  }

  async deploy(spec: InstanceSpecDto): Promise<Ack> {
    this.desired.set(instanceKeyString(spec), spec);
    return this.emit('instance:deploy', spec);
  }

  async delete(key: InstanceKey): Promise<Ack> {
    this.desired.delete(instanceKeyString(key));
    return this.emit('instance:delete', key);
  }

  async emit(event: string, payload: unknown): Promise<Ack> {
    if (!this.socket?.connected) {
      throw new Error('cluster not connected');
    }
    return (await this.socket.timeout(5000).emitWithAck(event, payload)) as Ack;
  }

  statusesOf(serviceId: string): InstanceReportDto[] {
    return this.statuses.filter((s) => s.serviceId === serviceId);
  }

  async stop(): Promise<void> {
    const io = this.io;
    this.io = undefined;
    this.socket = undefined;
    if (io) {
      await new Promise<void>((resolve) => void io.close(() => resolve()));
    }
    this.http = undefined;
  }
}

export function spec(serviceId: string, overrides: Partial<InstanceSpecDto> = {}): InstanceSpecDto {
  return instanceSpec(serviceId, {
    ports: [{ containerPort: 80, protocol: 'tcp' }],
    memoryMb: 64,
    vcpus: 0.5,
    ...overrides,
  });
}
