import { readFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { Inject, Injectable } from '@nestjs/common';
import { createBroker, type AuthenticateError, type Client } from 'aedes';
import type Aedes from 'aedes';
import type { Logger } from 'pino';
import { CLUSTER_CONFIG, CLUSTER_LOGGER } from '../common/tokens';
import type { ClusterConfig } from '../config/cluster-config';
import { NodesService } from '../nodes/nodes.service';
import { NodeSessions } from '../nodes/node-sessions';
import { boundClientId, mayPublish, mayReceive, maySubscribe, type MqttUser } from './mqtt-acl';
import { gatedConnection, PacketSizeGate } from './mqtt-packet-gate';
import { MqttAccess } from './mqtt-access';
import { constantTimeEqual } from '../common/secrets';
import { Clock } from '../common/clock';
import { ConnectionAdmission } from './connection-admission';

/**
 * Pending TCP connections the kernel holds for the broker (capped by net.core.somaxconn). Node's
 * default of 511 overflows when a whole fleet reconnects at once (a cluster restart): the kernel then
 * drops SYNs and clients retransmit after 1, 3, 7, 15 s, which made a 10,000-node reconnect take
 * 38 s instead of 20. Accepted sockets wait unread in ConnectionAdmission's line instead.
 */
const LISTEN_BACKLOG = 8192;

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

/**
 * The in-process broker (aedes) for the embedded and single-host setups. Every client must log in;
 * what it may publish and subscribe to is decided by the pure ACL in `mqtt-acl.ts`.
 */
@Injectable()
export class MqttBroker {
  private readonly log: Logger;
  private aedes: Aedes | undefined;
  private server: Server | undefined;
  /** The identity each connection authenticated as; set in `authenticate`, read by the ACL hooks. */
  private readonly users = new WeakMap<Client, MqttUser>();
  /** Open sockets per remote address, for the per-address limit. */
  private readonly perAddress = new Map<string, number>();
  private open = 0;
  /** Deliveries to in-process subscribers, to bound how deep aedes's queue recurses. */
  private localDepth = 0;
  /** Each connection's size gate, so a successful login can raise its limit. */
  private readonly gates = new WeakMap<object, PacketSizeGate>();
  /** Connection admission (MQTT_CONNECT_RATE): a mass reconnect is let in at a pace the broker can answer. */
  private readonly admission: ConnectionAdmission;

  constructor(
    @Inject(CLUSTER_CONFIG) private readonly config: ClusterConfig,
    @Inject(CLUSTER_LOGGER) logger: Logger,
    private readonly access: MqttAccess,
    private readonly nodes: NodesService,
    private readonly clock: Clock,
    private readonly sessions: NodeSessions,
  ) {
    this.log = logger.child({ component: 'mqtt-broker' });
    this.admission = new ConnectionAdmission(config.mqttConnectRate, this.clock, this.log);
  }

  async start(): Promise<number> {
    const aedes = createBroker({
      authenticate: (client, username, password, done) => {
        const user = this.login(username, password?.toString('utf8'));
        if (!user) {
          this.log.warn({ clientId: client.id, username }, 'mqtt login refused');
          const err: AuthenticateError = Object.assign(new Error('bad user name or password'), {
            returnCode: BAD_USERNAME_OR_PASSWORD,
          });
          done(err, false);
          return;
        }
        this.users.set(client, user);
        // Before `registerClient` runs, so a taken-over id can only be the login's own.
        client.id = boundClientId(user, client.id);
        this.gates.get(client.conn)?.setLimit(this.config.mqttMaxPacketBytes);
        done(null, true);
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
      this.sessions.opened(user.nodeId, client);
      client.conn.once('close', () => this.sessions.closed(user.nodeId, client));
    });
    aedes.on('clientDisconnect', (client) => {
      const user = this.users.get(client);
      if (user?.kind === 'node') {
        this.sessions.closed(user.nodeId, client);
      }
    });
    aedes.on('clientError', (client, err) =>
      this.log.debug({ clientId: client.id, err: err.message }, 'mqtt client error'),
    );
    // MQTTS when the operator gave a certificate: plain MQTT is then not offered at all.
    const { mqttTlsCertFile: certFile, mqttTlsKeyFile: keyFile } = this.config;
    const server =
      certFile !== undefined && keyFile !== undefined
        ? createTlsServer({ cert: readFileSync(certFile), key: readFileSync(keyFile) }, (socket) =>
            this.accept(aedes, socket),
          )
        : createServer((socket) => this.accept(aedes, socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ port: this.config.mqttPort, host: this.config.mqttHost, backlog: LISTEN_BACKLOG }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    // Out of file descriptors (EMFILE) an accept fails with an 'error' on the server: unheard, it
    // would end the process. The connection is lost, the node retries; everyone else is served.
    server.on('error', (err: Error) => this.log.error({ err: err.message }, 'mqtt accept failed'));
    this.aedes = aedes;
    this.server = server;
    const port = (server.address() as AddressInfo).port;
    this.access.setBrokerPort(port);
    this.log.info({ port, host: this.config.mqttHost, tls: certFile !== undefined }, 'mqtt broker listening');
    return port;
  }

  /**
   * Hands every message on `filters` to `handler` inside this process: what nodes publish reaches
   * the cluster without a second MQTT client parsing it again over loopback TCP. Only messages
   * the ACL let in (authorizePublish) are emitted; the next one waits until `handler` returns.
   */
  async subscribeLocal(filters: readonly string[], handler: (topic: string, payload: Buffer) => void): Promise<void> {
    const aedes = this.started();
    await Promise.all(
      filters.map(
        (filter) =>
          new Promise<void>((resolve) =>
            aedes.subscribe(
              filter,
              (packet, done) => {
                try {
                  handler(packet.topic, Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload));
                } finally {
                  // Acknowledged synchronously, aedes's queue recurses into the next message: past
                  // a few thousand queued that overflows the stack. Every so often, a fresh one.
                  if (++this.localDepth % LOCAL_SYNC_BURST === 0) {
                    setImmediate(done);
                  } else {
                    done();
                  }
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
    const aedes = this.started();
    return new Promise((resolve, reject) =>
      aedes.publish({ cmd: 'publish', topic, payload, qos: 1, retain: false, dup: false }, (err) =>
        err ? reject(err) : resolve(),
      ),
    );
  }

  private started(): Aedes {
    if (this.aedes === undefined) {
      throw new Error('mqtt broker is not started');
    }
    return this.aedes;
  }

  async stop(): Promise<void> {
    const { aedes, server } = this;
    this.aedes = undefined;
    this.server = undefined;
    this.admission.close();
    if (aedes) {
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
    }
    if (server) {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  }

  /** Connection limits first, then the packet-size gate, then aedes. */
  private accept(aedes: Aedes, socket: Socket): void {
    const address = socket.remoteAddress ?? 'unknown';
    const fromAddress = this.perAddress.get(address) ?? 0;
    const maxTotal = this.config.mqttMaxConnections;
    const maxPerAddress = this.config.mqttMaxConnectionsPerAddress;
    if (this.open >= maxTotal || fromAddress >= maxPerAddress) {
      this.log.warn({ address, open: this.open, fromAddress }, 'mqtt connection refused: limit reached');
      socket.destroy();
      return;
    }
    // Counted from here, waiting or not: a queued connection holds a file descriptor too.
    this.open++;
    // Acks are small and answered one by one; without this Nagle holds each behind a delayed ACK.
    socket.setNoDelay(true);
    this.perAddress.set(address, fromAddress + 1);
    socket.once('close', () => {
      this.open--;
      const left = (this.perAddress.get(address) ?? 1) - 1;
      if (left <= 0) {
        this.perAddress.delete(address);
      } else {
        this.perAddress.set(address, left);
      }
    });
    this.admission.admit(socket, () => this.serve(aedes, socket, address));
  }

  private serve(aedes: Aedes, socket: Socket, address: string): void {
    const gate = new PacketSizeGate(MAX_UNAUTHENTICATED_PACKET_BYTES);
    const maxPacket = this.config.mqttMaxPacketBytes;
    const conn = gatedConnection(
      socket,
      gate,
      (reason) => this.log.warn({ address, reason }, 'mqtt connection dropped'),
      Math.max(MIN_SEND_BUFFER_BYTES, 4 * maxPacket),
    );
    this.gates.set(conn, gate);
    aedes.handle(conn);
  }

  private login(username: string | undefined, password: string | undefined): MqttUser | undefined {
    if (username === undefined || password === undefined) {
      return undefined;
    }
    if (this.access.isClusterLogin(username, password, constantTimeEqual)) {
      return { kind: 'cluster' };
    }
    if (this.nodes.verifyPassword(username, password)) {
      return { kind: 'node', nodeId: username };
    }
    return undefined;
  }
}
