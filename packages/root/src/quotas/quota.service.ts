import { Inject, Injectable } from '@nestjs/common';
import { Mutex } from 'async-mutex';
import { ConflictError, NotFoundError } from '@canopy/nest-edge';
import { UNDECLARED_LIMITS } from '@canopy/schema';
import type { Principal } from '../auth/principal';
import { QUOTA_WAIT_PROBE, ROOT_CONFIG, type QuotaWaitProbe } from '../common/tokens';
import type { RootConfig } from '../config/root-config';
import type { ServiceRecord } from '../persistence/records';
import { STORE, type Store } from '../persistence/store.port';

/** What a user's services ask to keep running: instances, and their vCPUs and memory summed. */
export interface Demand {
  instances: number;
  vcpus: number;
  memoryMb: number;
}

export const QUOTA_DEFAULTS: Demand = { instances: 100, vcpus: 64, memoryMb: 256 * 1024 };

const NAMES: Record<keyof Demand, string> = { instances: 'instances', vcpus: 'vcpus', memoryMb: 'memory_mb' };

/** A service's declared demand: `replicas` copies of its spec while it is scheduled, nothing before. */
export function demandOf(
  s: Pick<ServiceRecord, 'scheduled' | 'replicas'> & {
    sla: { vcpus?: number | undefined; memory?: number | undefined };
  },
): Demand {
  const n = s.scheduled ? s.replicas : 0;
  const vcpus = s.sla.vcpus !== undefined && s.sla.vcpus > 0 ? s.sla.vcpus : UNDECLARED_LIMITS.vcpus;
  const memoryMb = s.sla.memory !== undefined && s.sla.memory > 0 ? s.sla.memory : UNDECLARED_LIMITS.memoryMb;
  return { instances: n, vcpus: n * vcpus, memoryMb: n * memoryMb };
}

function sum(all: Demand[]): Demand {
  return all.reduce(
    (a, d) => ({ instances: a.instances + d.instances, vcpus: a.vcpus + d.vcpus, memoryMb: a.memoryMb + d.memoryMb }),
    { instances: 0, vcpus: 0, memoryMb: 0 },
  );
}

/**
 * Per-user quotas at the root (instances, vCPUs, memory), judged on what the user's services
 * declare (scheduled services × replicas), before anything is placed. Admin-set per user
 * (`PUT /api/user/<id>/quota`), else the defaults (CANOPY_QUOTA_*). Admins' own calls are not limited.
 *
 * Check and write are one step per owner (`reserve`): two concurrent requests of one user could
 * otherwise both read the same usage, both pass, and together exceed the quota. The lock lives
 * here, not in a store transaction, because a deploy's write spans several transactions; it is
 * the same for SQLite and MongoDB since it does not depend on the store.
 */
@Injectable()
export class QuotaService {
  private readonly owners = new Map<string, Mutex>();

  constructor(
    @Inject(STORE) private readonly store: Store,
    @Inject(ROOT_CONFIG) private readonly config: RootConfig,
    @Inject(QUOTA_WAIT_PROBE) private readonly onWait: QuotaWaitProbe,
  ) {}

  async limitsFor(userId: string): Promise<Demand> {
    const user = await this.store.users.get(userId);
    return { ...this.defaults(), ...user?.quota };
  }

  async exists(userId: string): Promise<boolean> {
    return (await this.store.users.get(userId)) !== undefined;
  }

  async usage(userId: string, except: ReadonlySet<string> = new Set()): Promise<Demand> {
    const services = await this.store.services.find({ ownerId: userId });
    return sum(services.filter((s) => !except.has(s.id)).map(demandOf));
  }

  /**
   * Runs `write` only if the change leaves the owner within quota, holding the owner's lock from
   * the check until `write` settles so no other change of that owner's demand interleaves.
   * `added` is the new demand of the services being written, `replacing` the ids of those among
   * them that exist (their old demand goes). `write` must not call `reserve` for the same owner.
   * @throws ConflictError QUOTA_EXCEEDED naming the quota (`quota.instances`, `quota.vcpus`, `quota.memory_mb`).
   */
  async reserve<R>(
    caller: Principal,
    ownerId: string,
    added: Demand[],
    replacing: string[],
    write: () => Promise<R>,
  ): Promise<R> {
    let lock = this.owners.get(ownerId);
    if (!lock) {
      lock = new Mutex();
      this.owners.set(ownerId, lock);
    }
    const held = lock;
    if (held.isLocked()) {
      this.onWait(ownerId);
    }
    return held
      .runExclusive(async () => {
        await this.ensureRoom(caller, ownerId, added, replacing);
        return write();
      })
      .finally(() => {
        if (!held.isLocked() && this.owners.get(ownerId) === held) {
          this.owners.delete(ownerId);
        }
      });
  }

  private async ensureRoom(caller: Principal, ownerId: string, added: Demand[], replacing: string[]): Promise<void> {
    if (caller.role === 'Admin') {
      return;
    }
    const before = await this.usage(ownerId);
    const next = sum([await this.usage(ownerId, new Set(replacing)), ...added]);
    const limits = await this.limitsFor(ownerId);
    for (const key of ['instances', 'vcpus', 'memoryMb'] as const) {
      // Only growth is refused: scaling down under a lowered quota must stay possible.
      if (next[key] > limits[key] && next[key] > before[key]) {
        const message = `quota ${NAMES[key]} exceeded: this would use ${next[key]} of ${limits[key]}`;
        throw new ConflictError(message, [{ path: `quota.${NAMES[key]}`, message }], 'QUOTA_EXCEEDED');
      }
    }
  }

  /** Sets a user's quota; a field left out takes the default again. */
  async set(userId: string, quota: Partial<Demand>): Promise<Demand> {
    await this.store.transaction(async () => {
      const user = await this.store.users.get(userId);
      if (user === undefined) {
        throw new NotFoundError('user', userId);
      }
      await this.store.users.update({ ...user, quota });
    });
    return this.limitsFor(userId);
  }

  private defaults(): Demand {
    return { ...QUOTA_DEFAULTS, ...this.config.quotaDefaults };
  }
}
