/**
 * The node's report timer, at the interval the cluster asks for (`control/pace`: it lengthens it
 * while it sheds load, shortens it after). A new interval starts after a random part of itself, so
 * the nodes a cluster told at once do not all report in the same instant.
 */
export class ReportPacer {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private current: number,
    private readonly tick: () => void,
    private readonly random: () => number = Math.random,
  ) {}

  get intervalMs(): number {
    return this.current;
  }

  start(): void {
    this.timer = setInterval(this.tick, this.current);
  }

  /** Reports every `intervalMs` from a random moment within the first one on. */
  setIntervalMs(intervalMs: number): void {
    if (intervalMs === this.current || this.stopped) {
      return;
    }
    this.current = intervalMs;
    clearInterval(this.timer);
    this.timer = setTimeout(
      () => {
        this.tick();
        this.timer = setInterval(this.tick, intervalMs);
      },
      Math.floor(this.random() * intervalMs),
    );
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
  }
}
