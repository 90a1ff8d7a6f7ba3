import type { BrokerConnection } from './mqtt-broker';

/** A connection a worker holds, as the limits and the admission line see it. */
export class RemoteConnection implements BrokerConnection {
  destroyed = false;
  private readonly closeListeners: (() => void)[] = [];
  constructor(private readonly refuse: () => void) {}
  destroy(): void {
    if (!this.destroyed) {
      this.refuse();
      this.gone();
    }
  }
  on(): this {
    // A waiting connection's errors are the worker's to handle; it reports the close.
    return this;
  }
  onClose(listener: () => void): void {
    this.closeListeners.push(listener);
  }
  gone(): void {
    this.destroyed = true;
    for (const listener of this.closeListeners.splice(0)) {
      listener();
    }
  }
}
