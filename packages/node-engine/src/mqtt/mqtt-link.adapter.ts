import mqtt, { type MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import { MQTT_CONNACK_TIMEOUT_MS } from '@canopy/schema/lite';

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

/** Longest wait between reconnect attempts. */
const MAX_RECONNECT_MS = 10_000;

/**
 * The wait before reconnect attempt `attempt` (0 = the first after a drop): doubling from `baseMs`
 * up to `maxMs`, each drawn from 50–150 % so a fleet that lost its cluster at once does not come
 * back at once (the cluster admits connections at a rate, MQTT_CONNECT_RATE, and closes the rest).
 */
export function reconnectDelayMs(
  attempt: number,
  baseMs: number,
  maxMs = MAX_RECONNECT_MS,
  random = Math.random,
): number {
  const step = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 30));
  return Math.max(1, Math.round(step * (0.5 + random())));
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
    connectTimeout: MQTT_CONNACK_TIMEOUT_MS,
    // mqtt-packet's default pre-builds a Buffer for each of the 65,536 packet ids and lengths it
    // might write (~6 MB of heap for a client that sends a few packets a second); without it each
    // number is written into a 2-byte buffer made on the spot (issue 14 §5).
    writeCache: false,
  });
  let closed = false;
  // mqtt.js reads `reconnectPeriod` when a connection closes, before our listeners run: each event
  // sets the wait for the next drop or failed attempt.
  const baseMs = options.reconnectPeriodMs ?? 1000;
  let attempt = 0;
  client.options.reconnectPeriod = reconnectDelayMs(attempt, baseMs);
  client.on('close', () => {
    client.options.reconnectPeriod = reconnectDelayMs(++attempt, baseMs);
  });

  client.on('connect', () => {
    attempt = 0;
    client.options.reconnectPeriod = reconnectDelayMs(attempt, baseMs);
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
