/**
 * Serialises work per key (here: per instance slot) while letting different keys run in
 * parallel, so a slow image pull for one instance never holds up a delete of another, and two
 * commands for the same instance never interleave.
 */
export class KeyedMutex {
  private readonly tails = new Map<string, Promise<void>>();

  run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const result = previous.then(fn);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) {
        this.tails.delete(key);
      }
    });
    return result;
  }

  isBusy(key: string): boolean {
    return this.tails.has(key);
  }

  /** Resolves when no work is queued under any key (including work queued while waiting). */
  async idle(): Promise<void> {
    while (this.tails.size > 0) {
      await Promise.all([...this.tails.values()]);
    }
  }
}
