import { NODE_TOPIC_ROOT, NODE_TO_CLUSTER } from '@canopy/schema';
import { MessageBus } from './message-bus.port';
import type { MqttBroker } from './mqtt-broker';

/**
 * The bus when the broker is this process's own (aedes): node messages are taken from the broker
 * directly and commands published by it, instead of through an MQTT client over loopback TCP that
 * serialised, sent and parsed every message a second time. With an external broker
 * (`MQTT_URL`), `MqttBusAdapter` is the bus.
 */
export class InProcessBusAdapter extends MessageBus {
  private handler: (topic: string, payload: Buffer) => void = () => undefined;

  constructor(private readonly broker: MqttBroker) {
    super();
  }

  async connect(): Promise<void> {
    const filters = NODE_TO_CLUSTER.map((kind) => `${NODE_TOPIC_ROOT}/+/${kind}`);
    await this.broker.subscribeLocal(filters, (topic, payload) => this.handler(topic, payload));
  }

  publish(topic: string, payload: object): Promise<void> {
    return this.broker.publishLocal(topic, Buffer.from(JSON.stringify(payload)));
  }

  onMessage(handler: (topic: string, payload: Buffer) => void): void {
    this.handler = handler;
  }

  async close(): Promise<void> {
    // The broker's own stop ends its subscriptions.
  }
}
