import type { Logger } from 'pino';
import type { Clock } from '../common/clock';
import { TokenBucket } from '../common/token-bucket';

/**
 * How long a connection may wait for its turn: well inside the node engine's 30 s CONNACK timeout
 * (`MQTT_CONNACK_TIMEOUT_MS` in `@canopy/schema`), so that a whole mass reconnect (10,000 nodes
 * at the default 500/s) waits in line once instead of being turned away and retrying on a growing
 * backoff. One that has waited longer is closed, not served: its client has given up or is about
 * to, and serving it would spend a turn on a dead connection while live ones age behind it.
 */
export const QUEUE_SECONDS = 20;
const DRAIN_EVERY_MS = 20;

/** What admission needs of a socket (a `net.Socket`). */
export interface AdmittedSocket {
  readonly destroyed: boolean;
  destroy(): void;
  on(event: 'error', listener: () => void): unknown;
}

/**
 * Lets broker connections in at `ratePerSecond` (MQTT_CONNECT_RATE): one over the rate waits,
 * unread, in a line of at most `QUEUE_SECONDS` of the rate, and for at most `QUEUE_SECONDS`, so
 * none waits past its CONNACK timeout. One that finds the line full, or outwaits it, is closed
 * before a byte is read; the node takes that for a network error and retries after its jittered
 * backoff (a CONNACK refusal would make it register again). A mass reconnect then fills the rate
 * without a storm of retries and without any connection timing out.
 */
export class ConnectionAdmission {
  private readonly bucket: TokenBucket;
  private readonly queue: { socket: AdmittedSocket; proceed: () => void; since: number }[] = [];
  private readonly maxQueued: number;
  private timer: NodeJS.Timeout | undefined;
  private refusedSinceLog = 0;
  private lastRefusalLog = 0;

  constructor(
    ratePerSecond: number,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {
    this.bucket = new TokenBucket(ratePerSecond);
    this.maxQueued = Math.max(1, Math.floor(ratePerSecond * QUEUE_SECONDS));
  }

  /** Connections waiting for their turn. */
  get queued(): number {
    return this.queue.length;
  }

  /** Calls `proceed` now, or once there is room, or closes the socket. */
  admit(socket: AdmittedSocket, proceed: () => void): void {
    const now = this.clock.now();
    if (this.queue.length === 0 && this.bucket.take(now)) {
      proceed();
      return;
    }
    if (this.queue.length >= this.maxQueued) {
      this.refused();
      socket.destroy();
      return;
    }
    // Unread while it waits; an error now (the client gave up) only closes it.
    socket.on('error', () => socket.destroy());
    this.queue.push({ socket, proceed, since: now });
    this.timer ??= setInterval(() => this.drain(), DRAIN_EVERY_MS);
  }

  close(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    for (const { socket } of this.queue.splice(0)) {
      socket.destroy();
    }
  }

  /** Serves the queue's head while the rate allows (the broker's timer calls it every 20 ms). */
  drain(): void {
    const now = this.clock.now();
    while (this.queue.length > 0) {
      const head = this.queue[0]!;
      if (head.socket.destroyed) {
        this.queue.shift();
        continue;
      }
      if (now - head.since > QUEUE_SECONDS * 1000) {
        this.queue.shift();
        this.refused();
        head.socket.destroy();
        continue;
      }
      if (!this.bucket.take(now)) {
        return;
      }
      this.queue.shift()?.proceed();
    }
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One line a second at most, however many are turned away. */
  private refused(): void {
    this.refusedSinceLog++;
    const now = this.clock.now();
    if (now - this.lastRefusalLog >= 1000) {
      this.log.warn(
        { refused: this.refusedSinceLog, queued: this.queue.length },
        'mqtt connections over MQTT_CONNECT_RATE and its queue closed; nodes retry',
      );
      this.refusedSinceLog = 0;
      this.lastRefusalLog = now;
    }
  }
}
