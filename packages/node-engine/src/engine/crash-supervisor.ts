import { InstanceStatus, instanceKeyString } from '@canopy/schema/lite';
import type { InstanceKey } from '@canopy/schema';
import type { Logger } from 'pino';
import type { ContainerExit, ContainerInfo, ContainerRuntime } from '../docker/container-runtime.port';
import type { InstanceRecord, RestartHistory } from '../reconcile/engine-step';
import { slotKey } from '../reconcile/reconcile.planner';
import type { EngineClock } from './clock.port';
import { nodeSelector } from './container-spec';

/** What the supervisor needs of the instance manager: its records and its per-slot converge. */
export interface SupervisedInstances {
  records(): Iterable<InstanceRecord>;
  /** Runs `fn` under the slot's lock, then converges the slot (crash settling, restarts). */
  settle(slot: string, fn: () => Promise<boolean>): Promise<void>;
  isBusy(slot: string): boolean;
}

/**
 * Watches this node's containers after they start: turns Docker's exits (and, as a backstop for
 * lost events, what `docker ps` lists) into exit observations for the planner, keeps each
 * instance's restart history, and wakes a slot when a restart's `notBefore` is due. It decides
 * nothing: whether an exit means COMPLETED or a restart, and when, is the planner's.
 */
export class CrashSupervisor {
  private readonly restartHistory = new Map<string, RestartHistory>();
  private readonly wakeups = new Map<string, () => void>();
  private instances: SupervisedInstances | undefined;
  private closed = false;

  constructor(
    private readonly runtime: ContainerRuntime,
    private readonly nodeId: string,
    private readonly clock: EngineClock,
    private readonly log: Logger,
  ) {}

  attach(instances: SupervisedInstances): void {
    this.instances = instances;
  }

  get history(): ReadonlyMap<string, RestartHistory> {
    return this.restartHistory;
  }

  get restarting(): boolean {
    return !this.closed;
  }

  restartsOf(key: InstanceKey): number {
    return this.restartHistory.get(instanceKeyString(key))?.restarts ?? 0;
  }

  /** The container was started (or adopted): the crash loop measures healthy time from now. */
  started(record: InstanceKey): void {
    const key = instanceKeyString(record);
    const previous = this.restartHistory.get(key) ?? { restarts: 0, attempt: 0, startedAt: 0 };
    this.restartHistory.set(key, { ...previous, startedAt: this.clock.now() });
  }

  /** A restart the planner allowed was carried out, consuming backoff position `attempt`. */
  restarted(record: InstanceKey, attempt: number): void {
    const key = instanceKeyString(record);
    const previous = this.restartHistory.get(key) ?? { restarts: 0, attempt: 0, startedAt: 0 };
    this.restartHistory.set(key, {
      restarts: previous.restarts + 1,
      attempt: attempt + 1,
      startedAt: this.clock.now(),
    });
  }

  forget(record: InstanceKey): void {
    this.restartHistory.delete(instanceKeyString(record));
  }

  /** Converges `slot` again at `notBefore` (one pending wake-up per slot; a later one replaces it). */
  wakeAt(slot: string, notBefore: number): void {
    if (this.closed) {
      return;
    }
    this.wakeups.get(slot)?.();
    const cancel = this.clock.setTimer(Math.max(0, notBefore - this.clock.now()), () => {
      if (this.wakeups.get(slot) === cancel) {
        this.wakeups.delete(slot);
      }
      if (this.closed) {
        return;
      }
      this.instances
        ?.settle(slot, () => Promise.resolve(true))
        .catch((err: unknown) => {
          this.log.error({ slot, err: errorMessage(err) }, 'restart failed');
        });
    });
    this.wakeups.set(slot, cancel);
  }

  /** A container of this node stopped (Docker `die` event). */
  onContainerExit(exit: ContainerExit): void {
    const record = this.byContainer(exit.containerId);
    if (record === undefined || this.instances === undefined) {
      return;
    }
    this.instances
      .settle(slotKey(record), () => this.observeExit(exit.containerId, exit.exitCode))
      .catch((err: unknown) =>
        this.log.error({ err, containerId: exit.containerId }, 'handling container exit failed'),
      );
  }

  /**
   * Level-triggered backstop for lost Docker events: compares what the node believes runs with
   * what Docker lists. Skips slots that are busy.
   */
  async checkDrift(): Promise<void> {
    const instances = this.instances;
    if (instances === undefined) {
      return;
    }
    const containers = await this.runtime.listContainers(nodeSelector(this.nodeId));
    const byId = new Map(containers.map((c) => [c.id, c]));
    for (const record of [...instances.records()]) {
      const slot = slotKey(record);
      const containerId = record.containerId;
      if (containerId === undefined || instances.isBusy(slot)) {
        continue;
      }
      const container = byId.get(containerId);
      const running = container !== undefined && isUp(container);
      if (record.phase === 'up' && !running) {
        await instances.settle(slot, () => this.observeExit(containerId, container?.exitCode));
      } else if (running && record.phase !== 'up' && isSettledDown(record)) {
        // Someone started it again by hand; the planner reports what is true.
        await instances.settle(slot, () => {
          record.phase = 'up';
          return Promise.resolve(true);
        });
      }
    }
  }

  /** Cancels pending restarts (the engine is stopping; the containers stay as they are). */
  close(): void {
    this.closed = true;
    for (const cancel of this.wakeups.values()) {
      cancel();
    }
    this.wakeups.clear();
  }

  /** Must run under the slot's lock. Records how the container ended; `false` when it still runs. */
  private async observeExit(containerId: string, eventExitCode: number | undefined): Promise<boolean> {
    const record = this.byContainer(containerId);
    if (record === undefined || record.phase !== 'up') {
      return false;
    }
    const info = await this.runtime.inspectContainer(containerId).catch(() => undefined);
    if (info !== undefined && isUp(info)) {
      return false;
    }
    const at = this.clock.now();
    if (info === undefined) {
      delete record.containerId;
      delete record.phase;
      record.exit = { vanished: true, at, settled: false };
    } else {
      record.phase = 'exited';
      record.exit = {
        code: info.exitCode ?? eventExitCode,
        oomKilled: info.oomKilled,
        vanished: false,
        at,
        settled: false,
      };
    }
    this.log.info({ key: instanceKeyString(record), exitCode: record.exit.code }, 'instance exited');
    return true;
  }

  private byContainer(containerId: string): InstanceRecord | undefined {
    for (const record of this.instances?.records() ?? []) {
      if (record.containerId === containerId) {
        return record;
      }
    }
    return undefined;
  }
}

function isSettledDown(record: InstanceRecord): boolean {
  return record.status === InstanceStatus.DEAD || record.status === InstanceStatus.COMPLETED;
}

export function isUp(container: ContainerInfo): boolean {
  return container.state === 'running' || container.state === 'restarting' || container.state === 'paused';
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
