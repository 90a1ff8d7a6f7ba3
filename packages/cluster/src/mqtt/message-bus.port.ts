/** How the cluster's own clients verify an MQTTS broker: its CA, and (loopback only) no host name check. */
export interface BrokerTls {
  ca: Buffer;
  skipHostnameCheck?: boolean | undefined;
}

/** The cluster's side of MQTT, as the domain sees it. `in-process-bus.adapter.ts` (own broker) or `mqtt-bus.adapter.ts`. */
export abstract class MessageBus {
  /** Connects and subscribes to every node→cluster topic; resolves once subscribed. */
  abstract connect(
    url: string,
    login: { username: string; password: string } | undefined,
    tls?: BrokerTls,
  ): Promise<void>;
  /** Publishes JSON with QoS 1 (commands must arrive at least once). */
  abstract publish(topic: string, payload: object): Promise<void>;
  /** Raw inbound messages; parsing and validation belong to the caller. */
  abstract onMessage(handler: (topic: string, payload: Buffer) => void): void;
  abstract close(): Promise<void>;
}
