import { randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { NODE_TOPIC_ROOT, NODE_TO_CLUSTER } from '@canopy/schema';
import { connectAsync, type MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import { CLUSTER_CONFIG, CLUSTER_LOGGER } from '../common/tokens';
import type { ClusterConfig } from '../config/cluster-config';
import { MessageBus, type BrokerTls } from './message-bus.port';

/** The cluster's bus; with mosquitto-dynsec.credentials.ts the only files that import `mqtt`. */
@Injectable()
export class MqttBusAdapter extends MessageBus {
  private readonly log: Logger;
  private client: MqttClient | undefined;
  private handler: (topic: string, payload: Buffer) => void = () => undefined;

  constructor(
    @Inject(CLUSTER_CONFIG) private readonly config: ClusterConfig,
    @Inject(CLUSTER_LOGGER) logger: Logger,
  ) {
    super();
    this.log = logger.child({ component: 'mqtt-bus' });
  }

  async connect(
    url: string,
    login: { username: string; password: string } | undefined,
    tls?: BrokerTls,
  ): Promise<void> {
    const client = await connectAsync(url, {
      ...tlsOptions(tls),
      clientId: `canopy-cluster-${this.config.clusterName}-${randomBytes(4).toString('hex')}`,
      ...(login === undefined ? {} : { username: login.username, password: login.password }),
      // Aedes speaks 3.1.1. A clean session is fine: what a reconnect loses, the periodic sync heals.
      protocolVersion: 4,
      clean: true,
      reconnectPeriod: 1000,
      connectTimeout: 10_000,
    });
    client.on('message', (topic, payload) => this.handler(topic, payload));
    client.on('reconnect', () => this.log.info('mqtt reconnecting'));
    client.on('error', (err) => this.log.warn({ err: err.message }, 'mqtt client error'));
    client.on('offline', () => this.log.warn('mqtt offline'));
    const filters = NODE_TO_CLUSTER.map((kind) => `${NODE_TOPIC_ROOT}/+/${kind}`);
    const granted = await client.subscribeAsync(filters, { qos: 1 });
    const refused = granted.filter((g) => g.qos === 128).map((g) => g.topic);
    if (refused.length > 0) {
      this.log.error({ refused }, 'mqtt subscription refused');
    }
    this.client = client;
    this.log.info({ url: redact(url) }, 'mqtt bus connected');
  }

  async publish(topic: string, payload: object): Promise<void> {
    if (!this.client) {
      throw new Error('mqtt bus is not connected');
    }
    await this.client.publishAsync(topic, JSON.stringify(payload), { qos: 1 });
  }

  onMessage(handler: (topic: string, payload: Buffer) => void): void {
    this.handler = handler;
  }

  async close(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (client) {
      await client.endAsync(true);
    }
  }
}

function redact(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//***@');
}

/** mqtt.js options for an MQTTS broker: verified against the given CA, never against nothing. */
export function tlsOptions(tls: BrokerTls | undefined): {
  ca?: Buffer;
  rejectUnauthorized?: true;
  checkServerIdentity?: () => undefined;
} {
  if (tls === undefined) {
    return {};
  }
  return {
    ca: tls.ca,
    rejectUnauthorized: true,
    ...(tls.skipHostnameCheck === true ? { checkServerIdentity: () => undefined } : {}),
  };
}
