/**
 * The full resync, spread out: every registered node is walked once per period, an even slice per
 * tick, instead of every active node at once per period. At 50,000 nodes the burst was 50,000
 * `control/sync` messages in one event-loop turn every SYNC_INTERVAL_MS (about 600 ms of `/health`
 * latency at 20,000), and each node's sync comes as often as before, only not at the same instant.
 * Nodes that register during a round join the next one (each gets a sync when it becomes active).
 */
export class SyncRotation {
  private round: readonly string[] = [];
  private next = 0;
  private startedAt = Number.NEGATIVE_INFINITY;

  constructor(private readonly tickMs: number) {}

  /**
   * The ids due at this tick. A round starts once the previous one is walked and `periodMs` has
   * passed since it started; `ids` is read (one copy) only then.
   */
  due(now: number, periodMs: number, ids: () => readonly string[]): readonly string[] {
    if (this.next >= this.round.length && now - this.startedAt >= periodMs) {
      this.round = ids();
      this.next = 0;
      this.startedAt = now;
    }
    // The slice up to the end of this tick: the first tick of a round takes its share at once.
    const share = Math.min(1, (now - this.startedAt + this.tickMs) / Math.max(periodMs, this.tickMs));
    const upTo = Math.min(this.round.length, Math.ceil(this.round.length * share));
    const slice = this.round.slice(this.next, upTo);
    this.next = Math.max(this.next, upTo);
    return slice;
  }
}
