import { readFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { CLUSTER_CONFIG, CLUSTER_LOGGER } from '../common/tokens';
import type { ClusterConfig } from '../config/cluster-config';
import { NodesService } from '../nodes/nodes.service';
import { NodeSessions } from '../nodes/node-sessions';
import type { MqttUser } from './mqtt-acl';
import { MqttAccess } from './mqtt-access';
import { constantTimeEqual } from '../common/secrets';
import { Clock } from '../common/clock';
import { ConnectionAdmission, type AdmittedSocket } from './connection-admission';
import { BrokerCore } from './broker-core';
import { BrokerShards } from './broker-shards';

/**
 * Pending TCP connections the kernel holds for the broker (capped by net.core.somaxconn). Node's
 * default of 511 overflows when a whole fleet reconnects at once (a cluster restart): the kernel then
 * drops SYNs and clients retransmit after 1, 3, 7, 15 s, which made a 10,000-node reconnect take
 * 38 s instead of 20. Accepted sockets wait unread in ConnectionAdmission's line instead.
 */
const LISTEN_BACKLOG = 8192;

/** A connection as the limits and the admission line see it: a socket here, or one a broker worker holds. */
export interface BrokerConnection extends AdmittedSocket {
  /** Once, when the connection is gone (it frees its place in the limits then). */
  onClose(listener: () => void): void;
}

/** Where node messages come from and commands go: this process's broker, or the broker workers. */
export interface BrokerSink {
  subscribeLocal(filters: readonly string[], handler: (topic: string, payload: Buffer) => void): Promise<void>;
  publishLocal(topic: string, payload: Buffer): Promise<void>;
  close(): Promise<void>;
}

function socketConnection(socket: Socket): BrokerConnection {
  return {
    get destroyed() {
      return socket.destroyed;
    },
    destroy: () => socket.destroy(),
    on: (event, listener) => socket.on(event, listener),
    onClose: (listener) => socket.once('close', listener),
  };
}

/**
 * The cluster's own broker, for the embedded and single-host setups: one listener with the
 * connection limits and the admission line in front, and behind it aedes in this process or, with
 * MQTT_BROKER_WORKERS, in that many broker worker processes (`broker-shards.ts`), which carry past
 * what one process's file descriptors and one core allow.
 */
@Injectable()
export class MqttBroker {
  private readonly log: Logger;
  private sink: BrokerSink | undefined;
  private server: Server | undefined;
  /** Open sockets per remote address, for the per-address limit. */
  private readonly perAddress = new Map<string, number>();
  private open = 0;
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
    const { mqttTlsCertFile: certFile, mqttTlsKeyFile: keyFile, mqttBrokerWorkers: workers } = this.config;
    const tls = certFile !== undefined && keyFile !== undefined ? { certFile, keyFile } : undefined;
    const login = (username: string | undefined, password: string | undefined): MqttUser | undefined =>
      this.login(username, password);
    if (workers > 0) {
      const shards = new BrokerShards(
        {
          workers,
          port: this.config.mqttPort,
          host: this.config.mqttHost,
          backlog: LISTEN_BACKLOG,
          maxPacketBytes: this.config.mqttMaxPacketBytes,
          logLevel: this.config.logLevel,
          tls,
        },
        this.log,
        login,
        (connection, address, proceed) => this.admit(connection, address, proceed),
        this.sessions,
      );
      this.sink = shards;
      return this.listening(await shards.start(), tls !== undefined);
    }
    const core = new BrokerCore(this.config.mqttMaxPacketBytes, this.log, {
      login,
      opened: (nodeId, session) => this.sessions.opened(nodeId, session),
      closed: (nodeId, session) => this.sessions.closed(nodeId, session),
    });
    this.sink = core;
    const accept = (socket: Socket): void => {
      const address = socket.remoteAddress ?? 'unknown';
      // Acks are small and answered one by one; without this Nagle holds each behind a delayed ACK.
      socket.setNoDelay(true);
      this.admit(socketConnection(socket), address, () => core.serve(socket, address));
    };
    // MQTTS when the operator gave a certificate: plain MQTT is then not offered at all.
    const server =
      tls !== undefined
        ? createTlsServer({ cert: readFileSync(tls.certFile), key: readFileSync(tls.keyFile) }, accept)
        : createServer(accept);
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
    this.server = server;
    return this.listening((server.address() as AddressInfo).port, tls !== undefined);
  }

  private listening(port: number, tls: boolean): number {
    this.access.setBrokerPort(port);
    const workers = this.config.mqttBrokerWorkers;
    this.log.info({ port, host: this.config.mqttHost, tls, workers }, 'mqtt broker listening');
    return port;
  }

  /** See BrokerCore.subscribeLocal: node messages, in this process, as the ACL let them in. */
  subscribeLocal(filters: readonly string[], handler: (topic: string, payload: Buffer) => void): Promise<void> {
    return this.started().subscribeLocal(filters, handler);
  }

  /** Publishes as the broker itself (QoS 1); delivery to each node still passes authorizeForward. */
  publishLocal(topic: string, payload: Buffer): Promise<void> {
    return this.started().publishLocal(topic, payload);
  }

  private started(): BrokerSink {
    if (this.sink === undefined) {
      throw new Error('mqtt broker is not started');
    }
    return this.sink;
  }

  async stop(): Promise<void> {
    const { sink, server } = this;
    this.sink = undefined;
    this.server = undefined;
    this.admission.close();
    // The broker first: it ends its clients, which the listener's close waits for.
    if (sink) {
      await sink.close();
    }
    if (server) {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  }

  /** Connection limits first, then the admission line, then `proceed` (the broker serves it). */
  private admit(connection: BrokerConnection, address: string, proceed: () => void): void {
    const fromAddress = this.perAddress.get(address) ?? 0;
    const maxTotal = this.config.mqttMaxConnections;
    const maxPerAddress = this.config.mqttMaxConnectionsPerAddress;
    if (this.sink === undefined || this.open >= maxTotal || fromAddress >= maxPerAddress) {
      this.log.warn({ address, open: this.open, fromAddress }, 'mqtt connection refused: limit reached');
      connection.destroy();
      return;
    }
    // Counted from here, waiting or not: a queued connection holds a file descriptor too.
    this.open++;
    this.perAddress.set(address, fromAddress + 1);
    connection.onClose(() => {
      this.open--;
      const left = (this.perAddress.get(address) ?? 1) - 1;
      if (left <= 0) {
        this.perAddress.delete(address);
      } else {
        this.perAddress.set(address, left);
      }
    });
    this.admission.admit(connection, proceed);
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
