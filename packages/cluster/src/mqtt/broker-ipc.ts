import type { MqttUser } from './mqtt-acl';

/**
 * What the cluster and its broker workers (MQTT_BROKER_WORKERS) say to each other over the IPC
 * channel of `cluster.fork` (advanced serialization, so payloads stay Buffers). The channel
 * is private to the two processes: nothing on it comes from a node except topics and payloads
 * that the worker's ACL already let in, and logins, which only the cluster judges.
 */

/** Settings a worker starts with; the rest of its behaviour is the cluster's. */
export interface WorkerSettings {
  index: number;
  /** Where every worker listens: one listening socket, shared (cluster module, SCHED_NONE). */
  port: number;
  host: string;
  backlog: number;
  maxPacketBytes: number;
  logLevel: string;
  /** PEM paths: the worker speaks MQTTS on the sockets it is handed. */
  tls?: { certFile: string; keyFile: string } | undefined;
}

/** Cluster → worker. */
export type ToWorker =
  | { t: 'init'; settings: WorkerSettings }
  | { t: 'subscribe'; filters: readonly string[] }
  /** The connection the worker asked about may be served now (limits and MQTT_CONNECT_RATE allow) … */
  | { t: 'admitted'; id: number }
  /** … or is to be closed unread. */
  | { t: 'refused'; id: number }
  | { t: 'login'; req: number; user: MqttUser | null }
  /** Commands to publish, `[topic, payload]`, batched per turn of the cluster's event loop. */
  | { t: 'publish'; batch: [string, Uint8Array][] }
  | { t: 'close'; sid: number }
  | { t: 'stop' };

/** Worker → cluster. */
export type FromWorker =
  /** Listening; `port` is the one bound (the configured one may be 0). */
  | { t: 'ready'; port: number }
  /** A connection was accepted and waits, unread, for the cluster's word. */
  | { t: 'admit'; id: number; address: string }
  | { t: 'subscribed' }
  | { t: 'login'; req: number; username: string | undefined; password: string | undefined }
  | { t: 'gone'; id: number }
  | { t: 'opened'; nodeId: string; sid: number }
  | { t: 'closed'; nodeId: string; sid: number }
  /** Node messages in arrival order, `[topic, payload]`, batched per turn of the worker's event loop. */
  | { t: 'messages'; batch: [string, Uint8Array][] };

/** A payload as it arrived over IPC (a Uint8Array view) as a Buffer, without a copy. */
export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
