import { NodeTopics } from '@canopy/schema';
import type { NodeClient } from './node-client';

/**
 * A node client that reports the way the node engine does under load shedding: every `intervalMs`,
 * saying which interval it uses, and switching to the one a `control/pace` message asks for.
 */
export class PacedNode {
  private timer: NodeJS.Timeout | undefined;
  /** When each heartbeat went out, with the interval it carried. */
  readonly beats: { at: number; intervalMs: number }[] = [];

  constructor(
    readonly client: NodeClient,
    public intervalMs: number,
  ) {
    client.client.on('message', (topic, payload) => {
      if (topic === NodeTopics.pace(client.id)) {
        const { reportIntervalMs } = JSON.parse(payload.toString('utf8')) as { reportIntervalMs: number };
        this.setInterval(reportIntervalMs);
      }
    });
  }

  start(): void {
    this.beat();
    this.timer = setInterval(() => this.beat(), this.intervalMs);
  }

  /** Heartbeats at the given interval from now on (what ReportPacer does in the engine). */
  private setInterval(intervalMs: number): void {
    if (intervalMs === this.intervalMs) {
      return;
    }
    this.intervalMs = intervalMs;
    clearInterval(this.timer);
    this.timer = setInterval(() => this.beat(), intervalMs);
  }

  private beat(): void {
    this.beats.push({ at: Date.now(), intervalMs: this.intervalMs });
    void this.client.heartbeat({ reportIntervalMs: this.intervalMs }).catch(() => undefined);
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.client.close();
  }
}
