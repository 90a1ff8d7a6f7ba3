import { readFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:tls';
import { LOG_REDACTION } from '@canopy/schema';
import pino, { type Logger } from 'pino';
import type { NodeSession } from '../nodes/node-sessions';
import { BrokerCore } from './broker-core';
import { asBuffer, type FromWorker, type ToWorker, type WorkerSettings } from './broker-ipc';
import type { MqttUser } from './mqtt-acl';

/**
 * A broker worker (MQTT_BROKER_WORKERS, see `broker-shards.ts`): a child of the cluster running
 * aedes on the listening socket all workers share. It holds no secret and no registry: each
 * connection waits, unread, for the cluster's admission; logins are asked of the cluster; node
 * messages go back to it in batches; and it lives only as long as its channel to the cluster (the
 * cluster killed means this ends too, and the nodes reconnect to the next one).
 */

/** Messages per batch at most; one batch per turn of the event loop otherwise. */
const MAX_BATCH = 512;
/** Batches written to the channel but not yet taken by the pipe: past this, aedes is held (back-pressure). */
const MAX_INFLIGHT = 32;
/** File descriptors kept free below the process's limit (logs, the channel, SQLite-free but still). */
const FD_HEADROOM = 256;

/** This process's soft limit on open files (Linux), or none known. */
function openFileLimit(): number {
  try {
    const m = /^Max open files\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    return m ? Number(m[1]) : Infinity;
  } catch {
    return Infinity;
  }
}

class BrokerWorker {
  private core: BrokerCore | undefined;
  private tls: TlsServer | undefined;
  private server: Server | undefined;
  /** Accepted connections waiting for the cluster's word, by id. */
  private readonly waiting = new Map<number, Socket>();
  private nextConn = 1;
  private open = 0;
  private readonly maxOpen = openFileLimit() - FD_HEADROOM;
  private readonly logins = new Map<number, (user: MqttUser | undefined) => void>();
  private nextReq = 1;
  private readonly sids = new WeakMap<NodeSession, number>();
  private readonly sessions = new Map<number, NodeSession>();
  private nextSid = 1;
  private batch: [string, Uint8Array][] = [];
  private inflight = 0;
  private readonly held: (() => void)[] = [];
  private log: Logger = pino({ redact: LOG_REDACTION });

  receive(message: ToWorker): void {
    switch (message.t) {
      case 'init':
        return this.init(message.settings);
      case 'subscribe':
        void this.started()
          .subscribeLocal(message.filters, (topic, payload) => this.forward(topic, payload))
          .then(() => this.send({ t: 'subscribed' }));
        return;
      case 'admitted':
        return this.serve(message.id);
      case 'refused':
        this.waiting.get(message.id)?.destroy();
        this.waiting.delete(message.id);
        return;
      case 'login':
        this.logins.get(message.req)?.(message.user ?? undefined);
        this.logins.delete(message.req);
        return;
      case 'publish':
        for (const [topic, payload] of message.batch) {
          void this.started()
            .publishLocal(topic, asBuffer(payload))
            .catch((err: Error) => this.log.warn({ topic, err: err.message }, 'command not published'));
        }
        return;
      case 'close':
        this.sessions.get(message.sid)?.close();
        return;
      case 'stop':
        this.server?.close();
        void this.started()
          .close()
          .finally(() => process.exit(0));
        return;
      default:
        return;
    }
  }

  private init(settings: WorkerSettings): void {
    this.log = pino({
      level: settings.logLevel,
      redact: LOG_REDACTION,
      base: { tier: 'cluster', component: 'broker-worker', worker: settings.index, pid: process.pid },
    });
    this.core = new BrokerCore(settings.maxPacketBytes, this.log, {
      login: (username, password) => this.askLogin(username, password),
      opened: (nodeId, session) => {
        const sid = this.nextSid++;
        this.sids.set(session, sid);
        this.sessions.set(sid, session);
        this.send({ t: 'opened', nodeId, sid });
      },
      closed: (nodeId, session) => {
        const sid = this.sids.get(session);
        if (sid !== undefined && this.sessions.delete(sid)) {
          this.send({ t: 'closed', nodeId, sid });
        }
      },
    });
    const { tls } = settings;
    if (tls !== undefined) {
      const core = this.core;
      this.tls = createTlsServer({ cert: readFileSync(tls.certFile), key: readFileSync(tls.keyFile) }, (socket) =>
        core.serve(socket, socket.remoteAddress ?? 'unknown'),
      );
      this.tls.on('tlsClientError', (err) => this.log.debug({ err: err.message }, 'mqtt tls handshake failed'));
    }
    // Plain TCP on the shared socket, unread until admitted: TLS handshakes are paced too.
    const server = createServer({ pauseOnConnect: true }, (socket) => this.accepted(socket));
    server.on('error', (err: Error) => this.log.error({ err: err.message }, 'mqtt accept failed'));
    server.listen({ port: settings.port, host: settings.host, backlog: settings.backlog }, () =>
      this.send({ t: 'ready', port: (server.address() as AddressInfo).port }),
    );
    this.server = server;
  }

  private accepted(socket: Socket): void {
    if (this.open >= this.maxOpen) {
      // Near this process's file limit: another worker (or a retry) takes the node.
      socket.destroy();
      return;
    }
    this.open++;
    const id = this.nextConn++;
    // Acks are small and answered one by one; without this Nagle holds each behind a delayed ACK.
    socket.setNoDelay(true);
    socket.on('error', () => socket.destroy());
    socket.once('close', () => {
      this.open--;
      this.waiting.delete(id);
      this.send({ t: 'gone', id });
    });
    this.waiting.set(id, socket);
    this.send({ t: 'admit', id, address: socket.remoteAddress ?? 'unknown' });
  }

  private serve(id: number): void {
    const socket = this.waiting.get(id);
    if (socket === undefined) {
      return;
    }
    this.waiting.delete(id);
    if (this.tls !== undefined) {
      // The TLS server takes the plain socket as if it had accepted it itself.
      this.tls.emit('connection', socket);
    } else {
      this.started().serve(socket, socket.remoteAddress ?? 'unknown');
    }
  }

  private askLogin(username: string | undefined, password: string | undefined): Promise<MqttUser | undefined> {
    const req = this.nextReq++;
    return new Promise((resolve) => {
      this.logins.set(req, resolve);
      this.send({ t: 'login', req, username, password });
    });
  }

  /** Batched per turn; a promise back when the channel is full holds aedes until it drains. */
  private forward(topic: string, payload: Buffer): Promise<void> | undefined {
    if (this.batch.length === 0) {
      setImmediate(() => this.flush());
    }
    this.batch.push([topic, payload]);
    if (this.batch.length >= MAX_BATCH) {
      this.flush();
    }
    return this.inflight < MAX_INFLIGHT ? undefined : new Promise<void>((resolve) => this.held.push(resolve));
  }

  private flush(): void {
    if (this.batch.length === 0) {
      return;
    }
    const batch = this.batch;
    this.batch = [];
    this.inflight++;
    this.send({ t: 'messages', batch }, () => {
      this.inflight--;
      while (this.inflight < MAX_INFLIGHT && this.held.length > 0) {
        this.held.shift()?.();
      }
    });
  }

  private send(message: FromWorker, sent?: () => void): void {
    if (process.connected) {
      process.send?.(message, undefined, {}, sent);
    }
  }

  private started(): BrokerCore {
    if (this.core === undefined) {
      throw new Error('broker worker is not initialised');
    }
    return this.core;
  }
}

const worker = new BrokerWorker();
process.on('message', (message: ToWorker) => worker.receive(message));
// The cluster is gone (stopped, crashed, killed): so are its nodes' sessions here.
process.on('disconnect', () => process.exit(0));
