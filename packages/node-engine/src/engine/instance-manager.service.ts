import type { Logger } from 'pino';
import { InstanceStatus, instanceKeyString } from '@canopy/schema/lite';
import type { InstanceKey, InstanceSpecDto, InstanceUsageDto, JobStatusMessage } from '@canopy/schema';
import type { ContainerExit, ContainerRuntime } from '../docker/container-runtime.port';
import type { InstanceUsage } from '../metrics/instance-usage.collector';
import type { SafetyPolicy } from '../policy/instance-safety.policy';
import { DEFAULT_RESTART_BACKOFF, type RestartBackoffSettings } from '../policy/restart-backoff';
import type { DesiredStateRepository } from '../state/desired-state.repository';
import { PrivateImageStore } from '../state/private-images.file';
import type { EngineStep, InstanceRecord } from '../reconcile/engine-step';
import { slotKey } from '../reconcile/reconcile.planner';
import { systemClock, type EngineClock } from './clock.port';
import { adoptContainer } from './adoption';
import { nodeSelector } from './container-spec';
import { CrashSupervisor, errorMessage } from './crash-supervisor';
import { KeyedMutex } from './keyed-mutex';
import { StatusReporter } from './status-reporter';
import { SUPERVISION, SlotConverger, type ConvergeOptions } from './slot-converger';
import type { ExecutorContext } from './step-executors';

export type { InstanceRecord } from '../reconcile/engine-step';

export interface InstanceManagerDeps {
  runtime: ContainerRuntime;
  store: DesiredStateRepository;
  nodeId: string;
  nodeName: string;
  publicIp?: string | undefined;
  /** What this node allows containers to do; checked before anything is pulled or created. */
  policy: SafetyPolicy;
  backoff?: RestartBackoffSettings | undefined;
  /** Sends one status change up to the cluster (`nodes/<id>/job`). Must not throw. */
  publish: (message: JobStatusMessage) => void;
  log: Logger;
  clock?: EngineClock | undefined;
  /** Repositories pulled here with credentials (the data dir's file); default: in memory only. */
  privateImages?: PrivateImageStore | undefined;
}

/**
 * Owns this node's instances: the desired set (persisted) and what actually runs (rebuilt from
 * Docker labels). Every command updates the desired set and then converges the affected slot:
 * the pure planner (`planSteps`) decides, the step executors do, round after round until the plan
 * is empty, under a per-slot lock so commands for one instance never interleave.
 */
export class InstanceManager {
  private readonly desired = new Map<string, InstanceSpecDto>();
  private readonly records = new Map<string, InstanceRecord>();
  private readonly locks = new KeyedMutex();
  private readonly background = new Set<Promise<void>>();
  private readonly clock: EngineClock;
  private readonly backoff: RestartBackoffSettings;
  private readonly log: Logger;
  private readonly supervisor: CrashSupervisor;
  private readonly reporter: StatusReporter;
  private readonly ctx: ExecutorContext;
  private readonly converger: SlotConverger;

  constructor(private readonly deps: InstanceManagerDeps) {
    this.clock = deps.clock ?? systemClock;
    this.backoff = deps.backoff ?? DEFAULT_RESTART_BACKOFF;
    this.log = deps.log;
    this.supervisor = new CrashSupervisor(deps.runtime, deps.nodeId, this.clock, this.log);
    this.reporter = new StatusReporter({
      nodeId: deps.nodeId,
      nodeName: deps.nodeName,
      ...(deps.publicIp === undefined ? {} : { publicIp: deps.publicIp }),
      publish: deps.publish,
      restartsOf: (key) => this.supervisor.restartsOf(key),
      clock: this.clock,
    });
    this.ctx = {
      runtime: deps.runtime,
      reporter: this.reporter,
      supervisor: this.supervisor,
      clock: this.clock,
      log: this.log,
      nodeId: deps.nodeId,
      records: this.records,
      privateImages: deps.privateImages ?? PrivateImageStore.inMemory(),
      allowPrivateRegistries: deps.policy.allowPrivateRegistries === true,
    };
    this.converger = new SlotConverger(this.desired, this.ctx, this.locks, deps.policy, this.backoff);
    this.supervisor.attach({
      records: () => this.records.values(),
      isBusy: (slot) => this.locks.isBusy(slot),
      settle: (slot, observe) =>
        this.locks.run(slot, async () => {
          if (await observe()) {
            await this.convergeSlot(slot, SUPERVISION);
          }
        }),
    });
  }

  /**
   * Rebuilds the view after a (re)start: the persisted desired set plus every container Docker
   * holds for this node. Running containers are adopted as they are, never restarted or recreated.
   * Returns once adopted; creating desired instances that have no container continues in the background.
   */
  async restore(persisted: readonly InstanceSpecDto[]): Promise<void> {
    for (const spec of persisted) {
      const current = this.desired.get(slotKey(spec));
      if (current === undefined || spec.generation > current.generation) {
        this.desired.set(slotKey(spec), spec);
      }
    }
    const containers = await this.deps.runtime.listContainers(nodeSelector(this.deps.nodeId));
    for (const container of containers) {
      const record = await adoptContainer(container, this.desired, this.ctx);
      if (record !== undefined) {
        this.records.set(instanceKeyString(record), record);
      }
    }
    this.log.info({ desired: this.desired.size, adopted: this.records.size }, 'instances restored');
    const work = this.convergeAll(SUPERVISION).catch((err: unknown) =>
      this.log.error({ err: errorMessage(err) }, 'startup convergence failed'),
    );
    this.background.add(work);
    void work.finally(() => this.background.delete(work));
  }

  /** `control/deploy`: same key again is a no-op (its status is re-sent), higher generation replaces, lower is ignored. */
  deploy(spec: InstanceSpecDto): Promise<void> {
    const slot = slotKey(spec);
    return this.locks.run(slot, async () => {
      const newest = Math.max(
        this.desired.get(slot)?.generation ?? -1,
        ...this.recordsIn(slot).map((r) => r.generation),
      );
      if (spec.generation < newest) {
        this.log.info({ key: instanceKeyString(spec), newestGeneration: newest }, 'stale deploy ignored');
        return;
      }
      if (this.desired.get(slot)?.generation !== spec.generation) {
        this.desired.set(slot, spec);
        await this.persist();
      }
      const steps = await this.convergeSlot(slot, { removeUndesired: true, announceRemovals: false });
      if (!steps.some((s) => s.kind === 'refuse' || s.kind === 'pull' || s.kind === 'create')) {
        // At-least-once delivery: the sender may have missed our answer, so answer again.
        const record = this.records.get(instanceKeyString(spec));
        if (record !== undefined) {
          this.reporter.publish(record);
        }
      }
    });
  }

  /** `control/delete`: removes the instance and answers UNDEPLOYED, even for a key it never had. */
  delete(key: InstanceKey): Promise<void> {
    const slot = slotKey(key);
    return this.locks.run(slot, async () => {
      const current = this.desired.get(slot);
      const known = this.records.get(instanceKeyString(key));
      const jobName = current?.jobName ?? known?.jobName ?? this.recordsIn(slot)[0]?.jobName ?? key.serviceId;
      // A delete of an older generation must not take down the newer one that replaced it; the
      // planner then removes only the superseded container.
      if (current !== undefined && current.generation <= key.generation) {
        this.desired.delete(slot);
        await this.persist();
      }
      await this.convergeSlot(slot, { removeUndesired: true, announceRemovals: false });
      const { serviceId, instanceNumber, generation } = key;
      this.reporter.undeployed({ serviceId, instanceNumber, generation }, jobName);
    });
  }

  /** `control/sync`: the full desired set; anything not listed goes, lower generations never win. */
  async sync(specs: readonly InstanceSpecDto[]): Promise<void> {
    const next = new Map<string, InstanceSpecDto>();
    for (const spec of specs) {
      const seen = next.get(slotKey(spec));
      if (seen === undefined || spec.generation > seen.generation) {
        next.set(slotKey(spec), spec);
      }
    }
    for (const [slot, spec] of next) {
      const current = this.desired.get(slot);
      if (current !== undefined && current.generation > spec.generation) {
        next.set(slot, current);
      }
    }
    this.desired.clear();
    for (const [slot, spec] of next) {
      this.desired.set(slot, spec);
    }
    await this.persist();
    await this.convergeAll({ removeUndesired: true, announceRemovals: true });
  }

  /** A container of this node stopped (Docker `die` event). */
  onContainerExit(exit: ContainerExit): void {
    this.supervisor.onContainerExit(exit);
  }

  /** Level-triggered backstop for lost Docker events (see `CrashSupervisor.checkDrift`). */
  checkDrift(): Promise<void> {
    return this.supervisor.checkDrift();
  }

  /** Every instance this node has, with its current status and usage: the periodic full report. */
  snapshot(usage: ReadonlyMap<string, InstanceUsage> = new Map()): InstanceUsageDto[] {
    return this.reporter.snapshot(this.records.values(), usage);
  }

  /** Containers that are up, for usage sampling. */
  runningContainerIds(): string[] {
    const ids: string[] = [];
    for (const r of this.records.values()) {
      if (r.status === InstanceStatus.RUNNING && r.containerId !== undefined) {
        ids.push(r.containerId);
      }
    }
    return ids;
  }

  /**
   * The container holding an instance, for its logs: the exact key if the node has it, else the
   * newest generation in the same slot (a log request may race a rolling update).
   */
  containerFor(key: InstanceKey): string | undefined {
    const exact = this.records.get(instanceKeyString(key))?.containerId;
    if (exact !== undefined) {
      return exact;
    }
    const newest = this.recordsIn(slotKey(key))
      .filter((r) => r.containerId !== undefined)
      .sort((a, b) => b.generation - a.generation)[0];
    return newest?.containerId;
  }

  /** Resolves when no command is being executed. */
  async idle(): Promise<void> {
    await Promise.all([...this.background]);
    await this.locks.idle();
  }

  /** Cancels scheduled restarts (the engine is stopping; the containers stay as they are). */
  close(): void {
    this.supervisor.close();
  }

  private async persist(): Promise<void> {
    try {
      await this.deps.store.save([...this.desired.values()]);
    } catch (err) {
      // The containers still follow the command; only restart recovery is weakened, so say it loudly.
      this.log.error({ err: errorMessage(err) }, 'persisting desired state failed');
    }
  }

  private recordsIn(slot: string): InstanceRecord[] {
    return this.converger.recordsIn(slot);
  }

  private convergeSlot(slot: string, options: ConvergeOptions): Promise<EngineStep[]> {
    return this.converger.slot(slot, options);
  }

  private convergeAll(options: ConvergeOptions): Promise<void> {
    return this.converger.all(options);
  }
}
