import { createServer, type AddressInfo, type Server } from 'node:net';
import { Inject, Injectable } from '@nestjs/common';
import { createBroker, type AuthenticateError, type Client } from 'aedes';
import type Aedes from 'aedes';
import type { Logger } from 'pino';
import { CLUSTER_CONFIG, CLUSTER_LOGGER } from '../common/tokens';
import type { ClusterConfig } from '../config/cluster-config';
import { NodesService } from '../nodes/nodes.service';
import { mayPublish, maySubscribe, type MqttUser } from './mqtt-acl';
import { MqttAccess } from './mqtt-access';
import { constantTimeEqual } from '../common/secrets';

/** MQTT CONNACK return code 4 (MQTT 3.1.1): bad user name or password. */
const BAD_USERNAME_OR_PASSWORD = 4;

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

  constructor(
    @Inject(CLUSTER_CONFIG) private readonly config: ClusterConfig,
    @Inject(CLUSTER_LOGGER) logger: Logger,
    private readonly access: MqttAccess,
    private readonly nodes: NodesService,
  ) {
    this.log = logger.child({ component: 'mqtt-broker' });
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
    aedes.on('clientError', (client, err) =>
      this.log.debug({ clientId: client.id, err: err.message }, 'mqtt client error'),
    );
    const server = createServer((socket) => aedes.handle(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.config.mqttPort, this.config.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.aedes = aedes;
    this.server = server;
    const port = (server.address() as AddressInfo).port;
    this.access.setBrokerPort(port);
    this.log.info({ port }, 'mqtt broker listening');
    return port;
  }

  async stop(): Promise<void> {
    const { aedes, server } = this;
    this.aedes = undefined;
    this.server = undefined;
    if (aedes) {
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
    }
    if (server) {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
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
