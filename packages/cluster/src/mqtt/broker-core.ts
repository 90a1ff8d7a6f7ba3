import type { Socket } from 'node:net';
import { createBroker, type AuthenticateError, type Client } from 'aedes';
import type Aedes from 'aedes';
import type { Logger } from 'pino';
import type { NodeSession } from '../nodes/node-sessions';
import { boundClientId, mayPublish, mayReceive, maySubscribe, type MqttUser } from './mqtt-acl';
import { gatedConnection, PacketSizeGate } from './mqtt-packet-gate';

/** MQTT CONNACK return code 4 (MQTT 3.1.1): bad user name or password. */
const BAD_USERNAME_OR_PASSWORD = 4;
/**
 * Largest CONNECT (and anything pipelined behind it) before a login succeeded: client id, user
 * name, password and a will fit easily; what is larger is not a node.
 */
export const MAX_UNAUTHENTICATED_PACKET_BYTES = 16 * 1024;
/** In-process deliveries acknowledged synchronously in a row before one yields to the event loop. */
const LOCAL_SYNC_BURST = 64;
/** What a connection may have waiting to be sent before it counts as stalled (see gatedConnection). */
const MIN_SEND_BUFFER_BYTES = 4 * 1024 * 1024;

/** What the broker asks of whoever runs it: the cluster itself, or (in a broker worker) the cluster over IPC. */
export interface BrokerHooks {
  /** The identity a login proves, or undefined; a broker worker's answer comes from the cluster, later. */
  login(
    username: string | undefined,
    password: string | undefined,
  ): MqttUser | undefined | Promise<MqttUser | undefined>;
  /** A node's connection was accepted (CONNACKed) … */
  opened(nodeId: string, session: NodeSession): void;
  /** … and is gone; may be reported twice for one connection (disconnect, then socket close). */
  closed(nodeId: string, session: NodeSession): void;
}

/**
 * The MQTT broker proper (aedes), without a listener: every client must log in, and what it may
 * publish, subscribe to and receive is decided by the pure ACL in `mqtt-acl.ts`. `MqttBroker` runs
 * one in the cluster's process; with MQTT_BROKER_WORKERS each broker worker runs one
 * (`broker-worker.ts`) and the cluster hands it accepted sockets.
 */
export class BrokerCore {
  private readonly aedes: Aedes;
  /** The identity each connection authenticated as; set in `authenticate`, read by the ACL hooks. */
  private readonly users = new WeakMap<Client, MqttUser>();
  /** Each connection's size gate, so a successful login can raise its limit. */
  private readonly gates = new WeakMap<object, PacketSizeGate>();
  /** Deliveries to in-process subscribers, to bound how deep aedes's queue recurses. */
  private localDepth = 0;

  constructor(
    private readonly maxPacketBytes: number,
    private readonly log: Logger,
    private readonly hooks: BrokerHooks,
  ) {
    this.aedes = this.create();
  }

  /** Serves one accepted connection (plain or TLS); the packet-size gate sits in front of aedes. */
  serve(socket: Socket, address: string): void {
    const gate = new PacketSizeGate(MAX_UNAUTHENTICATED_PACKET_BYTES);
    const conn = gatedConnection(
      socket,
      gate,
      (reason) => this.log.warn({ address, reason }, 'mqtt connection dropped'),
      Math.max(MIN_SEND_BUFFER_BYTES, 4 * this.maxPacketBytes),
    );
    this.gates.set(conn, gate);
    this.aedes.handle(conn);
  }

  /**
   * Hands every message on `filters` to `handler` inside this process: what nodes publish reaches
   * the cluster without a second MQTT client parsing it again over loopback TCP. Only messages
   * the ACL let in (authorizePublish) are emitted; the next one waits until `handler` returns (or
   * the promise it returns settles).
   */
  async subscribeLocal(
    filters: readonly string[],
    handler: (topic: string, payload: Buffer) => void | Promise<void>,
  ): Promise<void> {
    // Acknowledged synchronously, aedes's queue recurses into the next message: past a few
    // thousand queued that overflows the stack. Every so often, a fresh one.
    const next = (done: () => void): void => {
      if (++this.localDepth % LOCAL_SYNC_BURST === 0) {
        setImmediate(done);
      } else {
        done();
      }
    };
    await Promise.all(
      filters.map(
        (filter) =>
          new Promise<void>((resolve) =>
            this.aedes.subscribe(
              filter,
              (packet, done) => {
                let wait: void | Promise<void> = undefined;
                try {
                  wait = handler(
                    packet.topic,
                    Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload),
                  );
                } catch (err) {
                  this.log.error({ topic: packet.topic, err: (err as Error).message }, 'node message not handled');
                }
                // A promise is back-pressure (a broker worker's channel to the cluster is full):
                // aedes holds the next delivery until it settles.
                if (wait instanceof Promise) {
                  void wait.finally(() => next(done));
                } else {
                  next(done);
                }
              },
              resolve,
            ),
          ),
      ),
    );
  }

  /** Publishes as the broker itself (QoS 1); delivery to each node still passes authorizeForward. */
  publishLocal(topic: string, payload: Buffer): Promise<void> {
    return new Promise((resolve, reject) =>
      this.aedes.publish({ cmd: 'publish', topic, payload, qos: 1, retain: false, dup: false }, (err) =>
        err ? reject(err) : resolve(),
      ),
    );
  }

  close(): Promise<void> {
    return new Promise<void>((resolve) => this.aedes.close(() => resolve()));
  }

  private create(): Aedes {
    const aedes = createBroker({
      authenticate: (client, username, password, done) => {
        const refuse = (): void => {
          this.log.warn({ clientId: client.id, username }, 'mqtt login refused');
          const err: AuthenticateError = Object.assign(new Error('bad user name or password'), {
            returnCode: BAD_USERNAME_OR_PASSWORD,
          });
          done(err, false);
        };
        const accept = (user: MqttUser | undefined): void => {
          if (!user) {
            return refuse();
          }
          this.users.set(client, user);
          // Before `registerClient` runs, so a taken-over id can only be the login's own.
          client.id = boundClientId(user, client.id);
          this.gates.get(client.conn)?.setLimit(this.maxPacketBytes);
          done(null, true);
        };
        const verdict = this.hooks.login(username, password?.toString('utf8'));
        if (verdict instanceof Promise) {
          verdict.then(accept, refuse);
        } else {
          accept(verdict);
        }
      },
      authorizePublish: (client, packet, done) => {
        // A null client is the broker itself ($SYS heartbeats).
        if (client === null) {
          return done(null);
        }
        const user = this.users.get(client);
        if (user && mayPublish(user, packet.topic)) {
          return done(null);
        }
        this.log.warn({ clientId: client.id, topic: packet.topic }, 'mqtt publish refused');
        done(new Error('publish not authorized'));
      },
      authorizeForward: (client, packet) => {
        const user = this.users.get(client);
        if (user && mayReceive(user, packet.topic)) {
          return packet;
        }
        if (!packet.topic.startsWith('$SYS/')) {
          this.log.warn({ clientId: client.id, topic: packet.topic }, 'mqtt delivery refused');
        }
        return undefined;
      },
      authorizeSubscribe: (client, sub, done) => {
        const user = this.users.get(client);
        if (user && maySubscribe(user, sub.topic)) {
          return done(null, sub);
        }
        this.log.warn({ clientId: client.id, topic: sub.topic }, 'mqtt subscribe refused');
        // A null subscription answers SUBACK 0x80 (failure) without dropping the connection.
        done(null, null);
      },
    });
    // Who is connected as which node, for the registry (a name without a credential on record is
    // not handed to a join token while its node is here). Registered once CONNACKed; gone on
    // whichever of disconnect or socket close comes first.
    aedes.on('client', (client) => {
      const user = this.users.get(client);
      if (user?.kind !== 'node') {
        return;
      }
      this.hooks.opened(user.nodeId, client);
      client.conn.once('close', () => this.hooks.closed(user.nodeId, client));
    });
    aedes.on('clientDisconnect', (client) => {
      const user = this.users.get(client);
      if (user?.kind === 'node') {
        this.hooks.closed(user.nodeId, client);
      }
    });
    aedes.on('clientError', (client, err) =>
      this.log.debug({ clientId: client.id, err: err.message }, 'mqtt client error'),
    );
    return aedes;
  }
}
