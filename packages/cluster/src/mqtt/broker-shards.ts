import cluster, { type Worker } from 'node:cluster';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { NodeSession, NodeSessions } from '../nodes/node-sessions';
import type { BrokerConnection, BrokerSink } from './mqtt-broker';
import type { MqttUser } from './mqtt-acl';
import { asBuffer, type FromWorker, type ToWorker, type WorkerSettings } from './broker-ipc';
import { RemoteConnection } from './remote-connection';

/** After a worker died, how long before the next one starts (a crash loop must not spin). */
const RESPAWN_MS = 1000;
/** How long a stopping worker may take to close its clients before it is killed. */
const STOP_GRACE_MS = 5000;

export type ShardSettings = Omit<WorkerSettings, 'index'> & { workers: number };

/** Where the cluster decides on a connection a worker accepted: the limits and the admission line. */
export type Admit = (connection: BrokerConnection, address: string, proceed: () => void) => void;

/** One broker worker process and what the cluster knows of it. */
interface Shard {
  index: number;
  worker: Worker;
  ready: boolean;
  readonly conns: Map<number, RemoteConnection>;
  /** Its node sessions as the registry holds them. */
  readonly sessions: Map<number, { nodeId: string; session: NodeSession }>;
  /** Commands waiting for this turn's batch, and who waits for them to be written. */
  outbox: [string, Buffer][];
  sent: (() => void)[];
}

/** The compiled worker; under ts-jest (src) the built one beside it in dist. */
function workerEntry(): string {
  const here = join(__dirname, 'broker-worker.js');
  return existsSync(here) ? here : join(__dirname, '..', '..', 'dist', 'mqtt', 'broker-worker.js');
}

/**
 * The broker across MQTT_BROKER_WORKERS processes (Node's cluster module). Every worker accepts on
 * one shared listening socket (SCHED_NONE: the kernel hands each connection to whichever worker
 * takes it, so no socket passes through this process) and runs aedes (BrokerCore) with the same
 * ACL. What needs the whole picture stays here: each accepted connection waits, unread, until this
 * process's limits and admission line let it in; logins are judged here (the node registry is
 * here); node messages come back in batches; commands go to every worker, whose ACL delivers each
 * only to its node. A worker that dies takes its connections with it (their nodes reconnect to the
 * others) and is started again: one process's file-descriptor limit and one core no longer bound
 * how many nodes a cluster holds.
 */
export class BrokerShards implements BrokerSink {
  private readonly shards: Shard[] = [];
  private handler: (topic: string, payload: Buffer) => void = () => undefined;
  private filters: readonly string[] | undefined;
  private stopping = false;
  /** The workers holding a session of each node: commands go only there. */
  private readonly holders = new Map<string, Map<Shard, number>>();
  private port: number;
  private readonly log: Logger;

  constructor(
    private readonly settings: ShardSettings,
    log: Logger,
    private readonly login: (username: string | undefined, password: string | undefined) => MqttUser | undefined,
    private readonly admit: Admit,
    private readonly registry: NodeSessions,
  ) {
    this.log = log.child({ component: 'broker-shards' });
    this.port = settings.port;
  }

  /** Starts every worker; resolves with the port they listen on once each is ready. */
  async start(): Promise<number> {
    // Shared socket, accepted in the workers: round-robin would accept here and pass each socket on
    // (one handle per IPC round trip, far too slow for a fleet reconnecting). Frozen by setupPrimary.
    cluster.schedulingPolicy = cluster.SCHED_NONE;
    cluster.setupPrimary({ exec: workerEntry(), serialization: 'advanced', silent: false });
    // The first worker binds (port 0: a free one); the others then share that socket.
    await this.spawn(0);
    await Promise.all(Array.from({ length: this.settings.workers - 1 }, (_, i) => this.spawn(i + 1)));
    return this.port;
  }

  async subscribeLocal(filters: readonly string[], handler: (topic: string, payload: Buffer) => void): Promise<void> {
    this.filters = filters;
    this.handler = handler;
    await Promise.all(this.shards.map((shard) => this.subscribe(shard)));
  }

  /**
   * To the worker(s) holding the node's session, batched per turn; to every worker when none is
   * known (its persistent session may be queued anywhere): each worker's ACL still decides.
   */
  publishLocal(topic: string, payload: Buffer): Promise<void> {
    const nodeId = topic.split('/', 2)[1] ?? '';
    const holding = this.holders.get(nodeId);
    const targets = holding !== undefined ? [...holding.keys()] : this.shards.filter((s) => s.ready);
    return Promise.all(targets.map((shard) => this.enqueue(shard, topic, payload))).then(() => undefined);
  }

  private enqueue(shard: Shard, topic: string, payload: Buffer): Promise<void> {
    return new Promise<void>((resolve) => {
      if (shard.outbox.length === 0) {
        setImmediate(() => this.flush(shard));
      }
      shard.outbox.push([topic, payload]);
      shard.sent.push(resolve);
    });
  }

  private flush(shard: Shard): void {
    const batch = shard.outbox.splice(0);
    const sent = shard.sent.splice(0);
    const done = (): void => sent.forEach((resolve) => resolve());
    if (batch.length === 0 || !shard.worker.isConnected()) {
      // A worker gone meanwhile: its nodes reconnect elsewhere and resync.
      return done();
    }
    shard.worker.send({ t: 'publish', batch } satisfies ToWorker, done);
  }

  async close(): Promise<void> {
    this.stopping = true;
    await Promise.all(
      this.shards.map(async (shard) => {
        const child = shard.worker.process;
        if (child.exitCode !== null || child.signalCode !== null) {
          return;
        }
        const exited = new Promise<void>((resolve) => shard.worker.once('exit', () => resolve()));
        this.send(shard, { t: 'stop' });
        const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
        await exited;
        clearTimeout(timer);
      }),
    );
  }

  private spawn(index: number): Promise<void> {
    const worker = cluster.fork();
    const shard: Shard = { index, worker, ready: false, conns: new Map(), sessions: new Map(), outbox: [], sent: [] };
    this.shards[index] = shard;
    return new Promise<void>((resolve, reject) => {
      worker.on('message', (message: FromWorker) => {
        if (message.t === 'ready') {
          this.port = message.port;
          void this.subscribe(shard).then(() => {
            shard.ready = true;
            resolve();
          });
          return;
        }
        this.receive(shard, message);
      });
      worker.once('exit', (code: number | null, signal: string | null) => {
        this.lost(shard);
        if (!shard.ready) {
          reject(new Error(`mqtt broker worker ${index} exited before it was ready (${code ?? signal})`));
        }
        if (this.stopping) {
          return;
        }
        this.log.error({ worker: index, code, signal }, 'mqtt broker worker died; its nodes reconnect to the others');
        setTimeout(() => {
          if (!this.stopping) {
            this.spawn(index).catch((err: Error) =>
              this.log.error({ worker: index, err: err.message }, 'mqtt broker worker did not start again'),
            );
          }
        }, RESPAWN_MS).unref();
      });
      // The configured port for all (0 included): the cluster module shares one socket per address and port asked for.
      this.send(shard, { t: 'init', settings: { ...this.settings, index } });
    });
  }

  private subscribe(shard: Shard): Promise<void> {
    const filters = this.filters;
    if (filters === undefined) {
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      const onAck = (message: FromWorker): void => {
        if (message.t === 'subscribed') {
          shard.worker.off('message', onAck);
          resolve();
        }
      };
      shard.worker.on('message', onAck);
      shard.worker.once('exit', () => resolve());
      this.send(shard, { t: 'subscribe', filters });
    });
  }

  private receive(shard: Shard, message: FromWorker): void {
    switch (message.t) {
      case 'messages':
        for (const [topic, payload] of message.batch) {
          this.handler(topic, asBuffer(payload));
        }
        return;
      case 'admit': {
        const { id } = message;
        const conn = new RemoteConnection(() => this.send(shard, { t: 'refused', id }));
        shard.conns.set(id, conn);
        this.admit(conn, message.address, () => this.send(shard, { t: 'admitted', id }));
        return;
      }
      case 'gone':
        shard.conns.get(message.id)?.gone();
        shard.conns.delete(message.id);
        return;
      case 'login': {
        const user = this.login(message.username, message.password) ?? null;
        this.send(shard, { t: 'login', req: message.req, user });
        return;
      }
      case 'opened': {
        const session: NodeSession = { close: () => this.send(shard, { t: 'close', sid: message.sid }) };
        shard.sessions.set(message.sid, { nodeId: message.nodeId, session });
        this.hold(message.nodeId, shard, 1);
        this.registry.opened(message.nodeId, session);
        return;
      }
      case 'closed': {
        const known = shard.sessions.get(message.sid);
        if (known !== undefined) {
          shard.sessions.delete(message.sid);
          this.hold(known.nodeId, shard, -1);
          this.registry.closed(known.nodeId, known.session);
        }
        return;
      }
      case 'ready':
      case 'subscribed':
        // Awaited where they are asked for (spawn, subscribe).
        return;
    }
  }

  /** The worker's connections and sessions end with it. */
  private lost(shard: Shard): void {
    shard.ready = false;
    for (const conn of shard.conns.values()) {
      conn.gone();
    }
    shard.conns.clear();
    for (const { nodeId, session } of shard.sessions.values()) {
      this.hold(nodeId, shard, -1);
      this.registry.closed(nodeId, session);
    }
    shard.sessions.clear();
  }

  /** Counts a node's open sessions per worker (a node may hold two while it reconnects). */
  private hold(nodeId: string, shard: Shard, delta: 1 | -1): void {
    const counts = this.holders.get(nodeId) ?? new Map<Shard, number>();
    const left = (counts.get(shard) ?? 0) + delta;
    if (left > 0) {
      counts.set(shard, left);
    } else {
      counts.delete(shard);
    }
    if (counts.size > 0) {
      this.holders.set(nodeId, counts);
    } else {
      this.holders.delete(nodeId);
    }
  }

  private send(shard: Shard, message: ToWorker): void {
    if (shard.worker.isConnected()) {
      shard.worker.send(message);
    }
  }
}
