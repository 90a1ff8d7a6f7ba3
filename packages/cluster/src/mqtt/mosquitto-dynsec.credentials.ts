import { randomBytes } from 'node:crypto';
import { NODE_TOPIC_ROOT, NODE_TO_CLUSTER } from '@canopy/schema';
import { connectAsync, type MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import { BrokerCredentials } from './broker-credentials.port';
import { MqttAccess, type MqttLogin } from './mqtt-access';
import { tlsOptions } from './mqtt-bus.adapter';

const CONTROL = '$CONTROL/dynamic-security/v1';
const CLUSTER_ROLE = 'canopy-cluster';
const ANSWER_TIMEOUT_MS = 10_000;

type Acl = { acltype: string; topic: string; allow: boolean; priority?: number };
type Command = Record<string, unknown> & { command: string };
interface Answer {
  command: string;
  error?: string;
  correlationData?: string;
}

/** The node's client id at the broker: bound to its login, so no node can take over another's session. */
export function nodeClientId(nodeId: string): string {
  return `canopy-node-${nodeId}`;
}

/** What a node may do at Mosquitto: the same as `mqtt-acl.ts` grants at the in-process broker. */
export function nodeAcls(nodeId: string): Acl[] {
  const own = `${NODE_TOPIC_ROOT}/${nodeId}`;
  return [
    ...NODE_TO_CLUSTER.map((kind) => ({ acltype: 'publishClientSend', topic: `${own}/${kind}`, allow: true })),
    { acltype: 'subscribePattern', topic: `${own}/control/#`, allow: true },
    { acltype: 'publishClientReceive', topic: `${own}/control/#`, allow: true },
  ];
}

const CLUSTER_ACLS: Acl[] = [
  { acltype: 'publishClientSend', topic: `${NODE_TOPIC_ROOT}/#`, allow: true },
  { acltype: 'publishClientReceive', topic: `${NODE_TOPIC_ROOT}/#`, allow: true },
  { acltype: 'subscribePattern', topic: `${NODE_TOPIC_ROOT}/#`, allow: true },
];

/**
 * Per-node logins at an external Mosquitto 2, through its dynamic-security plugin: the cluster logs
 * in with the plugin's admin login (MQTT_USERNAME / MQTT_PASSWORD), denies everything by default,
 * makes its bus a login (`$cluster`) with a role over `nodes/#`, and one client (login = node id,
 * client id bound) with one role per registered node.
 */
export class MosquittoDynsecCredentials extends BrokerCredentials {
  private readonly log: Logger;
  private client: MqttClient | undefined;
  private readonly pending = new Map<string, (answers: Answer[]) => void>();

  constructor(
    private readonly access: MqttAccess,
    logger: Logger,
  ) {
    super();
    this.log = logger.child({ component: 'mqtt-dynsec' });
  }

  async start(): Promise<MqttLogin> {
    const { url, login, tls } = this.access.clusterConnection();
    const client = await connectAsync(url, {
      ...tlsOptions(tls),
      clientId: `canopy-dynsec-${randomBytes(4).toString('hex')}`,
      ...(login === undefined ? {} : { username: login.username, password: login.password }),
      protocolVersion: 4,
      clean: true,
      reconnectPeriod: 1000,
      connectTimeout: 10_000,
    });
    client.on('error', (err) => this.log.warn({ err: err.message }, 'mqtt dynsec client error'));
    client.on('message', (_topic, payload) => this.answered(payload));
    const [granted] = await client.subscribeAsync(`${CONTROL}/response`, { qos: 1 });
    if (granted === undefined || granted.qos === 128) {
      await client.endAsync(true);
      throw new Error('the broker login may not use the dynamic-security plugin (is MQTT_USERNAME its admin?)');
    }
    this.client = client;
    // The bus gets a login of its own, with a fresh password each start; the admin login only
    // manages (changing its own roles would make Mosquitto drop this very connection).
    const cluster = { username: MqttAccess.CLUSTER_USERNAME, password: randomBytes(24).toString('base64url') };
    const answers = await this.run(
      [
        {
          command: 'setDefaultACLAccess',
          acls: [
            { acltype: 'publishClientSend', allow: false },
            { acltype: 'publishClientReceive', allow: false },
            { acltype: 'subscribe', allow: false },
            { acltype: 'unsubscribe', allow: true },
          ],
        },
        { command: 'createRole', rolename: CLUSTER_ROLE, acls: CLUSTER_ACLS },
        { command: 'createClient', ...cluster, roles: [{ rolename: CLUSTER_ROLE }] },
      ],
      ['Role already exists', 'Client already exists'],
    );
    if (answers.some((a) => a.command === 'createClient' && a.error !== undefined)) {
      await this.run([{ command: 'setClientPassword', ...cluster }], []);
    }
    this.log.info({ admin: login?.username }, 'mosquitto dynamic security ready');
    return cluster;
  }

  async grant(nodeId: string, password: string): Promise<void> {
    const rolename = `canopy-node-${nodeId}`;
    const answers = await this.run(
      [
        { command: 'createRole', rolename, acls: nodeAcls(nodeId) },
        {
          command: 'createClient',
          username: nodeId,
          password,
          clientid: nodeClientId(nodeId),
          roles: [{ rolename }],
        },
      ],
      ['Role already exists', 'Client already exists'],
    );
    if (answers.some((a) => a.command === 'createClient' && a.error !== undefined)) {
      // Re-registration: the node gets a fresh password, the old one stops working.
      await this.run([{ command: 'setClientPassword', username: nodeId, password }], []);
    }
  }

  async revoke(nodeId: string): Promise<void> {
    await this.run(
      [
        { command: 'deleteClient', username: nodeId },
        { command: 'deleteRole', rolename: `canopy-node-${nodeId}` },
      ],
      ['Client not found', 'Role not found'],
    );
  }

  async stop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    await client?.endAsync(true);
  }

  /** Sends commands in one message and waits for the answer; errors other than `tolerated` throw. */
  private async run(commands: Command[], tolerated: string[]): Promise<Answer[]> {
    const client = this.client;
    if (client === undefined) {
      throw new Error('mosquitto dynamic security is not started');
    }
    const tag = randomBytes(8).toString('hex');
    const tagged = commands.map((c, i) => ({ ...c, correlationData: `${tag}.${i}` }));
    const answers = await new Promise<Answer[]>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(tag);
        reject(new Error(`mosquitto dynamic security did not answer ${commands[0]?.command ?? ''}`));
      }, ANSWER_TIMEOUT_MS);
      this.pending.set(tag, (a) => {
        clearTimeout(timer);
        resolve(a);
      });
      client.publishAsync(CONTROL, JSON.stringify({ commands: tagged }), { qos: 1 }).catch(reject);
    });
    const failed = answers.find((a) => a.error !== undefined && !tolerated.includes(a.error));
    if (failed !== undefined) {
      throw new Error(`mosquitto dynamic security refused ${failed.command}: ${failed.error ?? ''}`);
    }
    return answers;
  }

  private answered(payload: Buffer): void {
    let answers: Answer[];
    try {
      answers = (JSON.parse(payload.toString('utf8')) as { responses?: Answer[] }).responses ?? [];
    } catch {
      return;
    }
    const tag = answers[0]?.correlationData?.split('.')[0];
    const done = tag === undefined ? undefined : this.pending.get(tag);
    if (done !== undefined && tag !== undefined) {
      this.pending.delete(tag);
      done(answers);
    }
  }
}
