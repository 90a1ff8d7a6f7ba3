import { NodeTopics, type NodeRegisterResponse } from '@canopy/schema';
import { connectAsync, type IClientOptions, type MqttClient } from 'mqtt';

export interface Received {
  topic: string;
  body: unknown;
}

/** A real MQTT client standing in for a node engine. */
export class NodeClient {
  readonly received: Received[] = [];
  private beat: NodeJS.Timeout | undefined;

  private constructor(
    readonly id: string,
    readonly client: MqttClient,
  ) {
    client.on('message', (topic, payload) => {
      let body: unknown;
      try {
        body = JSON.parse(payload.toString('utf8'));
      } catch {
        body = payload.toString('utf8');
      }
      this.received.push({ topic, body });
    });
  }

  static async connect(
    mqttPort: number,
    reg: NodeRegisterResponse,
    extra: Partial<IClientOptions> = {},
  ): Promise<NodeClient> {
    const client = await connectAsync(
      `mqtt://127.0.0.1:${mqttPort}`,
      {
        username: reg.mqtt.username,
        password: reg.mqtt.password,
        protocolVersion: 4,
        reconnectPeriod: 0,
        ...extra,
      },
      false,
    );
    return new NodeClient(reg.id, client);
  }

  async subscribeControl(): Promise<number[]> {
    const granted = await this.client.subscribeAsync(NodeTopics.controlWildcard(this.id), { qos: 1 });
    return granted.map((g) => g.qos);
  }

  async heartbeat(overrides: Record<string, unknown> = {}): Promise<void> {
    await this.publish(NodeTopics.information(this.id), {
      cpuCores: 2,
      cpuPercent: 5,
      memoryTotalMb: 2048,
      memoryFreeMb: 1500,
      arch: 'amd64',
      netRxBps: 100,
      at: Date.now(),
      ...overrides,
    });
  }

  /** Heartbeats like a node engine does, so the node stays active through a long test. */
  startHeartbeats(everyMs: number, overrides: Record<string, unknown> = {}): void {
    this.beat = setInterval(() => void this.heartbeat(overrides).catch(() => undefined), everyMs);
  }

  async publish(topic: string, body: unknown): Promise<void> {
    await this.client.publishAsync(topic, typeof body === 'string' ? body : JSON.stringify(body), { qos: 1 });
  }

  on(topicSuffix: string): Received[] {
    return this.received.filter((m) => m.topic === `nodes/${this.id}/${topicSuffix}`);
  }

  async close(): Promise<void> {
    clearInterval(this.beat);
    await this.client.endAsync(true);
  }
}

export async function register(
  port: number,
  token: string,
  body: unknown,
): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`http://127.0.0.1:${port}/api/node/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}
