import type { InstanceSpecDto } from '@canopy/schema';
import { InstanceStatus } from '@canopy/schema/lite';
import type { SafetyPolicy } from '../policy/instance-safety.policy';
import type { RestartBackoffSettings } from '../policy/restart-backoff';
import type { EngineStep, InstanceRecord } from '../reconcile/engine-step';
import { planSteps } from '../reconcile/engine.planner';
import { plan, slotKey } from '../reconcile/reconcile.planner';
import type { KeyedMutex } from './keyed-mutex';
import { execute, type ExecutorContext } from './step-executors';

/** Plan → execute rounds per convergence, a guard: a launch takes four (pull, create, start, settle). */
const MAX_ROUNDS = 12;

export interface ConvergeOptions {
  /** Remove containers of instances that are no longer desired (off while adopting at start). */
  removeUndesired: boolean;
  /** Publish UNDEPLOYED for each such removal (a sync does; a delete answers for itself). */
  announceRemovals: boolean;
}

/** Supervision only: settle exits and restart crashes, remove nothing. */
export const SUPERVISION: ConvergeOptions = { removeUndesired: false, announceRemovals: false };

/**
 * Brings slots to their desired state: the pure planner (`planSteps`) decides, the step executors
 * do, round after round until the plan is empty or waits. Holds no state of its own: it reads the
 * manager's desired set and records.
 */
export class SlotConverger {
  constructor(
    private readonly desired: ReadonlyMap<string, InstanceSpecDto>,
    private readonly ctx: ExecutorContext,
    private readonly locks: KeyedMutex,
    private readonly policy: SafetyPolicy,
    private readonly backoff: RestartBackoffSettings,
  ) {}

  /**
   * Every slot, each under its lock. The generation plan fixes the order (all removals first);
   * every other slot follows, since an adopted container may have an exit to settle. Each slot is
   * re-planned under its lock because a command may have changed it in the meantime.
   */
  async all(options: ConvergeOptions): Promise<void> {
    const records = [...this.ctx.records.values()];
    const first = plan(records, [...this.desired.values()]).map((s) =>
      slotKey(s.action === 'create' ? s.spec : s.instance),
    );
    const rest = [...records, ...this.desired.values()].map(slotKey).sort();
    for (const slot of new Set([...first, ...rest])) {
      await this.locks.run(slot, () => this.slot(slot, options));
    }
  }

  /** Must run under the slot's lock. Plans and executes until the plan is empty or waits. */
  async slot(slot: string, options: ConvergeOptions): Promise<EngineStep[]> {
    const done: EngineStep[] = [];
    const { supervisor, clock, log } = this.ctx;
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const desired = this.desired.get(slot);
      const records = this.recordsIn(slot);
      const wanted = desired === undefined ? [] : [desired];
      const images = await this.imagesFor(desired, records);
      const planning = {
        ...options,
        backoff: this.backoff,
        policy: this.policy,
        images,
        privateImages: this.ctx.privateImages.repositories,
        restartCrashed: supervisor.restarting,
      };
      const steps = planSteps(records, wanted, clock.now(), supervisor.history, planning);
      let progressed = steps.length > 0;
      for (const step of steps) {
        if ((await execute(step, this.ctx)) === 'done') {
          done.push(step);
        } else {
          progressed = false;
        }
      }
      if (!progressed) {
        return done;
      }
    }
    log.warn({ slot, steps: done.map((s) => s.kind) }, 'convergence still had steps after the round limit');
    return done;
  }

  recordsIn(slot: string): InstanceRecord[] {
    return [...this.ctx.records.values()].filter((r) => slotKey(r) === slot);
  }

  /** Whether the desired image is here, asked only when the slot may need a new container. */
  private async imagesFor(desired: InstanceSpecDto | undefined, records: InstanceRecord[]): Promise<Set<string>> {
    if (desired === undefined) {
      return new Set();
    }
    const settled = records.some(
      (r) =>
        r.generation >= desired.generation &&
        (r.containerId !== undefined || r.status === InstanceStatus.FAILED || r.status === InstanceStatus.COMPLETED),
    );
    if (settled) {
      return new Set();
    }
    const present = await this.ctx.runtime.imageExists(desired.image).catch(() => false);
    return present ? new Set([desired.image]) : new Set();
  }
}
