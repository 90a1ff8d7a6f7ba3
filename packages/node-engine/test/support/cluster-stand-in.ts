import { createRequire } from 'node:module';
import * as http from 'node:http';
import * as net from 'node:net';
import * as path from 'node:path';
import type { AddressInfo } from 'node:net';
import type { JobStatusMessage, NodeInformation, NodeJobsReport, NodeRegisterRequest } from '@canopy/schema';
import type { NodeEngineConfigInit } from '../../src';

/**
 * aedes is a dependency of the cluster package (it runs the embedded broker there); the node
 * engine only needs it to stand in for its cluster in these tests, so borrow the cluster's copy
 * rather than adding a second one.
 */
const requireFromCluster = createRequire(path.resolve(__dirname, '../../../cluster/package.json'));
const { createBroker } = requireFromCluster('aedes') as { createBroker: (options: BrokerOptions) => Broker };

/** The slice of aedes' API these tests use (its types live with the cluster package). */
interface Client {
  id: string;
  close(): void;
}
interface Packet {
  topic: string;
  payload: Buffer;
}
interface BrokerOptions {
  authenticate(
    client: Client,
    username: string | undefined,
    password: Buffer | undefined,
    done: (err: Error | null, ok: boolean) => void,
  ): void;
}
interface Broker {
  handle(socket: net.Socket): void;
  on(event: 'client' | 'clientDisconnect', listener: (client: Client) => void): void;
  subscribe(topic: string, deliver: (packet: Packet, done: () => void) => void, subscribed: () => void): void;
  publish(
    packet: { cmd: 'publish'; topic: string; payload: Buffer; qos: 0 | 1; retain: boolean; dup: boolean },
    done: (err?: Error) => void,
  ): void;
  close(done: () => void): void;
}

export interface ReceivedMessage {
  topic: string;
  /** Parsed JSON (or the raw text when it is not JSON); read it through the typed accessors. */
  body: unknown;
  receivedAt: number;
}

export interface RegistrationCall {
  authorization: string | undefined;
  body: NodeRegisterRequest;
}

/**
 * The cluster's side of the node wire, real but minimal: `POST /api/node/register` over HTTP and an
 * aedes MQTT broker that checks the credentials it handed out. Everything a node publishes is kept.
 */
export class ClusterStandIn {
  readonly token = 'test-join-token';
  readonly registrations: RegistrationCall[] = [];
  readonly messages: ReceivedMessage[] = [];
  /** Statuses to answer the next registrations with, in order (503: still starting; 429: rate-limited). */
  failNextRegistrations: number[] = [];
  password = 'pw-1';
  clusterUrl = '';
  private readonly broker: Broker;
  private readonly clients = new Map<string, Client>();
  private mqttServer?: net.Server;
  private httpServer?: http.Server;
  private mqttPort = 0;

  constructor(readonly nodeId: string) {
    this.broker = createBroker({
      authenticate: (_client, username, password, done) => {
        const ok = username === `node-${this.nodeId}` && password?.toString() === this.password;
        if (ok) {
          return done(null, true);
        }
        const err = Object.assign(new Error('bad credentials'), { returnCode: 4 as const });
        done(err, false);
      },
    });
    this.broker.on('client', (client) => this.clients.set(client.id, client));
    this.broker.on('clientDisconnect', (client) => this.clients.delete(client.id));
  }

  /** A node engine's config for this stand-in (loopback, reports every 500 ms); a test adds what it is about. */
  engineConfig(nodeName: string, dataDir: string): NodeEngineConfigInit {
    return {
      clusterUrl: this.clusterUrl,
      nodeToken: this.token,
      nodeName,
      dataDir,
      publicIp: '127.0.0.1',
      reportIntervalMs: 500,
      allowPrivileged: false,
    };
  }

  async start(): Promise<void> {
    this.mqttServer = net.createServer((socket) => this.broker.handle(socket));
    await new Promise<void>((resolve) => this.mqttServer!.listen(0, '127.0.0.1', resolve));
    this.mqttPort = (this.mqttServer.address() as AddressInfo).port;
    await new Promise<void>((resolve) =>
      this.broker.subscribe(
        `nodes/${this.nodeId}/#`,
        (packet, done) => {
          let body: unknown;
          try {
            body = JSON.parse(packet.payload.toString());
          } catch {
            body = packet.payload.toString();
          }
          this.messages.push({ topic: packet.topic, body, receivedAt: Date.now() });
          done();
        },
        resolve,
      ),
    );

    this.httpServer = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const reply = (status: number, body: unknown): void => {
          res.writeHead(status, { 'content-type': 'application/json' });
          res.end(JSON.stringify(body));
        };
        if (req.method !== 'POST' || req.url !== '/api/node/register') {
          return reply(404, { message: 'not found' });
        }
        let body: unknown;
        try {
          body = JSON.parse(Buffer.concat(chunks).toString());
        } catch {
          return reply(400, { message: 'not JSON' });
        }
        this.registrations.push({ authorization: req.headers.authorization, body: body as NodeRegisterRequest });
        const failure = this.failNextRegistrations.shift();
        if (failure !== undefined) {
          return reply(failure, { message: failure === 429 ? 'too many attempts' : 'starting up' });
        }
        if (req.headers.authorization !== `Bearer ${this.token}`) {
          return reply(401, { message: 'bad node token' });
        }
        reply(200, {
          id: this.nodeId,
          MQTT_BROKER_PORT: this.mqttPort,
          MQTT_BROKER_HOST: '127.0.0.1',
          mqtt: { username: `node-${this.nodeId}`, password: this.password },
        });
      });
    });
    await new Promise<void>((resolve) => this.httpServer!.listen(0, '127.0.0.1', resolve));
    this.clusterUrl = `http://127.0.0.1:${(this.httpServer.address() as AddressInfo).port}`;
  }

  /** Publishes a command to the node, as the cluster would (QoS 1). */
  async command(kind: 'deploy' | 'delete' | 'sync' | 'logs', payload: unknown): Promise<void> {
    const text = typeof payload === 'string' ? payload : JSON.stringify(payload);
    await new Promise<void>((resolve, reject) =>
      this.broker.publish(
        {
          cmd: 'publish',
          topic: `nodes/${this.nodeId}/control/${kind}`,
          payload: Buffer.from(text),
          qos: 1,
          retain: false,
          dup: false,
        },
        (err) => (err ? reject(err) : resolve()),
      ),
    );
  }

  /** Drops every connected client, e.g. to make the node reconnect with credentials that no longer work. */
  disconnectAll(): void {
    for (const client of this.clients.values()) {
      client.close();
    }
  }

  connectedClientIds(): string[] {
    return [...this.clients.keys()];
  }

  /** Everything received on `nodes/<id>/<suffix>` since message index `from`. */
  on(topicSuffix: string, from = 0): ReceivedMessage[] {
    return this.messages.slice(from).filter((m) => m.topic === `nodes/${this.nodeId}/${topicSuffix}`);
  }

  jobStatuses(from = 0): JobStatusMessage[] {
    return this.on('job', from).map((m) => m.body as JobStatusMessage);
  }

  /** Status messages for one service since message index `from`. */
  statusesOf(serviceId: string, from = 0): JobStatusMessage[] {
    return this.jobStatuses(from).filter((m) => m.serviceId === serviceId);
  }

  /** For `waitFor`: the service's first `status` message since `from`. */
  statusOf(serviceId: string, status: string, from = 0): () => JobStatusMessage | undefined {
    return () => this.statusesOf(serviceId, from).find((m) => m.status === status);
  }

  /** For `waitFor`: the service's first RUNNING message of `generation` since `from`. */
  runningOf(serviceId: string, generation: number, from = 0): () => JobStatusMessage | undefined {
    return () => this.statusesOf(serviceId, from).find((m) => m.status === 'RUNNING' && m.generation === generation);
  }

  jobReports(from = 0): NodeJobsReport[] {
    return this.on('jobs/resources', from).map((m) => m.body as NodeJobsReport);
  }

  heartbeats(from = 0): NodeInformation[] {
    return this.on('information', from).map((m) => m.body as NodeInformation);
  }

  async stop(): Promise<void> {
    this.disconnectAll();
    await new Promise<void>((resolve) => this.broker.close(() => resolve()));
    await new Promise<void>((resolve) => (this.mqttServer ? this.mqttServer.close(() => resolve()) : resolve()));
    this.httpServer?.closeAllConnections();
    await new Promise<void>((resolve) => (this.httpServer ? this.httpServer.close(() => resolve()) : resolve()));
  }
}
