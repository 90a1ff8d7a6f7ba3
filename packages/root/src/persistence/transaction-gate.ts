/**
 * One transaction of a process at a time: `hold(fn)` runs `fn` once no other holder runs, and
 * `idle()` waits until none does (operations outside a transaction that must not read a
 * half-written one, and `close`). Both stores serialize their transactions through one.
 */
export class TransactionGate {
  private active: Promise<void> | undefined;

  async hold<R>(fn: () => Promise<R>): Promise<R> {
    // Re-check after every wake-up: another waiter may have taken the gate first. Inline, not
    // `await this.idle()`: taking a free gate must not yield before `active` is set.
    while (this.active) {
      await this.active;
    }
    let release!: () => void;
    this.active = new Promise<void>((resolve) => (release = resolve));
    try {
      return await fn();
    } finally {
      this.active = undefined;
      release();
    }
  }

  async idle(): Promise<void> {
    while (this.active) {
      await this.active;
    }
  }
}
