import { Injectable } from '@nestjs/common';
import { Mutex } from 'async-mutex';

/**
 * One lock per service: the API ("deploy one more", undeploy, update) and the replicas reconciler
 * both count a service's instances and then act, and must not interleave.
 */
@Injectable()
export class ServiceLocks {
  private readonly locks = new Map<string, Mutex>();

  run<T>(serviceId: string, fn: () => Promise<T>): Promise<T> {
    let lock = this.locks.get(serviceId);
    if (!lock) {
      lock = new Mutex();
      this.locks.set(serviceId, lock);
    }
    const held = lock;
    return held.runExclusive(fn).finally(() => {
      if (!held.isLocked() && this.locks.get(serviceId) === held) {
        this.locks.delete(serviceId);
      }
    });
  }
}
