import mqtt, { type MqttClient } from 'mqtt';
import type { Logger } from 'pino';

export interface MqttLinkOptions {
  host: string;
  port: number;
  /** MQTTS, verified against `ca` (PEM) or, without it, the system's trust store. */
  tls?: { ca?: Buffer | undefined } | undefined;
  clientId: string;
  username: string;
  password: string;
  /** Subscribed with QoS 1 on every (re)connect. */
  subscriptions: string[];
  reconnectPeriodMs?: number;
}

export interface MqttLinkEvents {
  onMessage(topic: string, payload: Buffer): void;
  /** Fires on the first connect and on every reconnect: the moment for a full report. */
  onConnect(): void;
  /**
   * The broker refused the connection (bad credentials, not authorised, ...). The link stops
   * retrying by itself: the credentials will not get better, the owner must register again.
   */
  onRefused(reason: string): void;
  /** The connection dropped (it reconnects by itself). */
  onOffline?(): void;
}

/** The node's one connection to its cluster's broker; the only code that imports mqtt. */
export interface MqttLink {
  readonly connected: boolean;
  /** QoS 1 messages are queued while offline; QoS 0 ones are dropped (the next report supersedes them). */
  publish(topic: string, payload: unknown, qos: 0 | 1): void;
  close(): Promise<void>;
}

export function openMqttLink(options: MqttLinkOptions, events: MqttLinkEvents, log: Logger): MqttLink {
  // MQTT 3.1.1 on the wire: Mosquitto speaks it, and so does aedes (the embedded broker), which has no v5.
  const client: MqttClient = mqtt.connect({
    host: options.host,
    port: options.port,
    protocol: options.tls === undefined ? 'mqtt' : 'mqtts',
    ...(options.tls === undefined
      ? {}
      : { rejectUnauthorized: true, ...(options.tls.ca ? { ca: options.tls.ca } : {}) }),
    protocolVersion: 4,
    clientId: options.clientId,
    username: options.username,
    password: options.password,
    // A persistent session lets the broker queue QoS 1 commands across short disconnects.
    clean: false,
    reconnectPeriod: options.reconnectPeriodMs ?? 1000,
    connectTimeout: 10_000,
  });
  let closed = false;

  client.on('connect', () => {
    log.info({ host: options.host, port: options.port }, 'mqtt connected');
    client.subscribe(options.subscriptions, { qos: 1 }, (err) => {
      if (err) {
        log.error({ err }, 'mqtt subscribe failed');
      }
    });
    events.onConnect();
  });
  client.on('message', (topic, payload) => events.onMessage(topic, payload));
  client.on('offline', () => {
    if (closed) {
      return;
    }
    log.warn({ host: options.host, port: options.port }, 'mqtt offline');
    events.onOffline?.();
  });
  client.on('error', (err) => {
    const code = (err as { code?: unknown }).code;
    // CONNACK refusals carry a numeric reason code; socket errors carry strings like ECONNREFUSED.
    if (typeof code === 'number') {
      log.warn({ code, reason: err.message }, 'mqtt connection refused by broker');
      if (!closed) {
        events.onRefused(err.message);
      }
      return;
    }
    log.warn({ err: err.message }, 'mqtt error');
  });

  return {
    get connected() {
      return client.connected;
    },
    publish(topic, payload, qos) {
      if (closed || (qos === 0 && !client.connected)) {
        return;
      }
      client.publish(topic, JSON.stringify(payload), { qos }, (err) => {
        if (err && !closed) {
          log.warn({ topic, err: err.message }, 'mqtt publish failed');
        }
      });
    },
    async close() {
      if (closed) {
        return;
      }
      closed = true;
      // Force: a graceful end waits for in-flight acks from a broker that may be gone.
      await client.endAsync(!client.connected);
    },
  };
}
