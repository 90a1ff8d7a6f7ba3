import type { Logger } from 'pino';
import {
  InstanceStatus,
  instanceKeyString,
  type BoundPortDto,
  type InstanceKey,
  type InstanceSpecDto,
  type InstanceUsageDto,
  type JobStatusMessage,
} from '@canopy/schema';
import type { ContainerExit, ContainerInfo, ContainerRuntime } from '../docker/container-runtime.port';
import type { InstanceUsage } from '../metrics/instance-usage.collector';
import { refusals, type SafetyPolicy } from '../policy/instance-safety.policy';
import {
  DEFAULT_RESTART_BACKOFF,
  attemptAfterCrash,
  restartDelayMs,
  type RestartBackoffSettings,
} from '../policy/restart-backoff';
import type { DesiredStateRepository } from '../state/desired-state.repository';
import { plan, slotKey, type RemoveReason, type Step } from '../reconcile/reconcile.planner';
import { systemClock, type EngineClock } from './clock.port';
import { instanceFromLabels, nodeSelector, toCreateSpec } from './container-spec';
import { KeyedMutex } from './keyed-mutex';

/** Seconds Docker waits after SIGTERM before SIGKILL when Canopy removes a container. */
const STOP_TIMEOUT_SECONDS = 2;
const MAX_DETAIL = 2048;
/** At most one CREATING update per this many ms while an image downloads. */
const PULL_PROGRESS_EVERY_MS = 1000;

/** What the node has for one idempotency key: a container, or a failed attempt that left none. */
export interface InstanceRecord extends InstanceKey {
  jobName: string;
  oneShot: boolean;
  status: InstanceStatus;
  statusDetail?: string;
  containerId?: string;
  hostPorts: BoundPortDto[];
  at: number;
  /** Restarts by this node after crashes (in this engine's lifetime). */
  restarts: number;
  /** Position in the crash loop's backoff schedule. */
  backoffAttempt: number;
  /** When the container was last (re)started or adopted. */
  startedAt: number;
  /** Cancels a scheduled restart. */
  cancelRestart?: () => void;
}

export interface InstanceManagerDeps {
  runtime: ContainerRuntime;
  store: DesiredStateRepository;
  nodeId: string;
  nodeName: string;
  publicIp?: string;
  /** What this node allows containers to do; checked before anything is pulled or created. */
  policy: SafetyPolicy;
  backoff?: RestartBackoffSettings;
  /** Sends one status change up to the cluster (`nodes/<id>/job`). Must not throw. */
  publish: (message: JobStatusMessage) => void;
  log: Logger;
  clock?: EngineClock;
}

interface ConvergeOptions {
  /** Remove containers of instances that are no longer desired (off while adopting at start). */
  removeUndesired: boolean;
  /** Publish UNDEPLOYED for each such removal (a sync does; a delete answers for itself). */
  announceRemovals: boolean;
}

/**
 * Owns this node's instances: the desired set (persisted) and what actually runs (rebuilt from
 * Docker labels). Every command updates the desired set and then converges the affected slot with
 * the pure planner, under a per-slot lock so commands for one instance never interleave.
 */
export class InstanceManager {
  private readonly desired = new Map<string, InstanceSpecDto>();
  private readonly records = new Map<string, InstanceRecord>();
  private readonly locks = new KeyedMutex();
  private readonly background = new Set<Promise<void>>();
  private readonly time: EngineClock;
  private readonly backoff: RestartBackoffSettings;
  private readonly log: Logger;
  private closed = false;

  constructor(private readonly deps: InstanceManagerDeps) {
    this.time = deps.clock ?? systemClock;
    this.backoff = deps.backoff ?? DEFAULT_RESTART_BACKOFF;
    this.log = deps.log;
  }

  private clock(): number {
    return this.time.now();
  }

  /**
   * Rebuilds the view after a (re)start: the persisted desired set plus every container Docker
   * holds for this node. Running containers are adopted as they are, never restarted or recreated.
   * Returns once adopted; creating desired instances that have no container continues in the background.
   */
  async restore(persisted: readonly InstanceSpecDto[]): Promise<void> {
    for (const spec of persisted) this.setDesired(spec);
    const containers = await this.deps.runtime.listContainers(nodeSelector(this.deps.nodeId));
    for (const container of containers) await this.adopt(container);
    this.log.info({ desired: this.desired.size, adopted: this.records.size }, 'instances restored');
    const options: ConvergeOptions = { removeUndesired: false, announceRemovals: false };
    const work = this.convergeAll(options).catch((err: unknown) =>
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
      if (!steps.some((s) => s.action === 'create')) {
        // At-least-once delivery: the sender may have missed our answer, so answer again.
        const record = this.records.get(instanceKeyString(spec));
        if (record !== undefined) this.publishRecord(record);
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
      this.deps.publish(
        this.message({
          serviceId: key.serviceId,
          instanceNumber: key.instanceNumber,
          generation: key.generation,
          jobName,
          oneShot: false,
          status: InstanceStatus.UNDEPLOYED,
          hostPorts: [],
          at: this.clock(),
          restarts: 0,
          backoffAttempt: 0,
          startedAt: 0,
        }),
      );
    });
  }

  /** `control/sync`: the full desired set; anything not listed goes, lower generations never win. */
  async sync(specs: readonly InstanceSpecDto[]): Promise<void> {
    const next = new Map<string, InstanceSpecDto>();
    for (const spec of specs) {
      const slot = slotKey(spec);
      const seen = next.get(slot);
      if (seen === undefined || spec.generation > seen.generation) next.set(slot, spec);
    }
    for (const [slot, spec] of next) {
      const current = this.desired.get(slot);
      if (current !== undefined && current.generation > spec.generation) next.set(slot, current);
    }
    this.desired.clear();
    for (const [slot, spec] of next) this.desired.set(slot, spec);
    await this.persist();
    await this.convergeAll({ removeUndesired: true, announceRemovals: true });
  }

  /** A container of this node stopped (Docker `die` event). */
  onContainerExit(exit: ContainerExit): void {
    const record = this.recordByContainer(exit.containerId);
    if (record === undefined) return;
    this.locks
      .run(slotKey(record), () => this.settleExit(exit.containerId, exit.exitCode))
      .catch((err: unknown) =>
        this.log.error({ err, containerId: exit.containerId }, 'handling container exit failed'),
      );
  }

  /**
   * Level-triggered backstop for lost Docker events: compares RUNNING records with what Docker
   * lists, and settles the ones whose container stopped or vanished. Skips slots that are busy.
   */
  async checkDrift(): Promise<void> {
    const containers = await this.deps.runtime.listContainers(nodeSelector(this.deps.nodeId));
    const byId = new Map(containers.map((c) => [c.id, c]));
    for (const record of [...this.records.values()]) {
      const slot = slotKey(record);
      if (record.containerId === undefined || this.locks.isBusy(slot)) continue;
      const container = byId.get(record.containerId);
      const running = container !== undefined && isUp(container);
      if (record.status === InstanceStatus.RUNNING && !running) {
        await this.locks.run(slot, () => this.settleExit(record.containerId ?? '', container?.exitCode));
      } else if (running && (record.status === InstanceStatus.DEAD || record.status === InstanceStatus.COMPLETED)) {
        // Someone started it again by hand; report what is true.
        record.cancelRestart?.();
        delete record.cancelRestart;
        record.startedAt = this.clock();
        this.update(record, { status: InstanceStatus.RUNNING, hostPorts: container.hostPorts }, undefined);
      }
    }
  }

  /** Every instance this node has, with its current status and usage: the periodic full report. */
  snapshot(usage: ReadonlyMap<string, InstanceUsage> = new Map()): InstanceUsageDto[] {
    return [...this.records.values()].map((r) => {
      const { sname: _sname, instance: _instance, ...report } = this.message(r);
      const used = r.containerId === undefined ? undefined : usage.get(r.containerId);
      return {
        ...report,
        ...(used?.cpuPercent === undefined ? {} : { cpuPercent: Math.max(0, used.cpuPercent) }),
        ...(used?.memoryMb === undefined ? {} : { memoryMb: used.memoryMb }),
      };
    });
  }

  /** Containers that are up, for usage sampling. */
  runningContainerIds(): string[] {
    const ids: string[] = [];
    for (const r of this.records.values()) {
      if (r.status === InstanceStatus.RUNNING && r.containerId !== undefined) ids.push(r.containerId);
    }
    return ids;
  }

  /**
   * The container holding an instance, for its logs: the exact key if the node has it, else the
   * newest generation in the same slot (a log request may race a rolling update).
   */
  containerFor(key: InstanceKey): string | undefined {
    const exact = this.records.get(instanceKeyString(key))?.containerId;
    if (exact !== undefined) return exact;
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
    this.closed = true;
    for (const record of this.records.values()) {
      record.cancelRestart?.();
      delete record.cancelRestart;
    }
  }

  // --- executor -------------------------------------------------------------------------------

  private async convergeAll(options: ConvergeOptions): Promise<void> {
    const steps = plan([...this.records.values()], [...this.desired.values()]);
    // The global plan fixes the order (all removals first); each slot is re-planned under its lock
    // because a command may have changed it in the meantime.
    const slots = [...new Set(steps.map((s) => slotKey(s.action === 'create' ? s.spec : s.instance)))];
    for (const slot of slots) {
      await this.locks.run(slot, () => this.convergeSlot(slot, options));
    }
  }

  /** Must run under the slot's lock. */
  private async convergeSlot(slot: string, options: ConvergeOptions): Promise<Step<InstanceRecord, InstanceSpecDto>[]> {
    const desired = this.desired.get(slot);
    const steps = plan(this.recordsIn(slot), desired === undefined ? [] : [desired]);
    const done: Step<InstanceRecord, InstanceSpecDto>[] = [];
    for (const step of steps) {
      if (step.action === 'create') {
        await this.create(step.spec);
      } else {
        if (step.reason === 'not-desired' && !options.removeUndesired) continue;
        await this.remove(step.instance, step.reason, options.announceRemovals && step.reason === 'not-desired');
      }
      done.push(step);
    }
    return done;
  }

  private async create(spec: InstanceSpecDto): Promise<void> {
    const key = instanceKeyString(spec);
    const record: InstanceRecord = {
      serviceId: spec.serviceId,
      instanceNumber: spec.instanceNumber,
      generation: spec.generation,
      jobName: spec.jobName,
      oneShot: spec.oneShot,
      status: InstanceStatus.CREATING,
      hostPorts: [],
      at: this.clock(),
      restarts: 0,
      backoffAttempt: 0,
      startedAt: this.clock(),
    };
    this.records.set(key, record);
    // Checked here, on the node, whatever the cluster decided: the operator's word is final.
    const refused = refusals(spec, this.deps.policy);
    if (refused.length > 0) {
      this.log.warn({ key, reasons: refused }, 'instance refused by node policy');
      this.update(record, { status: InstanceStatus.FAILED }, `refused by node: ${refused.join('; ')}`);
      return;
    }
    this.publishRecord(record);
    const runtime = this.deps.runtime;
    try {
      if (!(await runtime.imageExists(spec.image))) {
        // Never the password: only whether credentials came along, and for which registry.
        this.log.info(
          {
            key,
            image: spec.image,
            registry: spec.registryAuth?.serveraddress,
            withCredentials: spec.registryAuth !== undefined,
          },
          'pulling image',
        );
        this.update(record, {}, `pulling ${spec.image}`);
        let lastProgressAt = this.clock();
        let lastPercent = -1;
        await runtime.pullImage(spec.image, spec.registryAuth, (percent) => {
          const now = this.clock();
          if (percent === lastPercent || now - lastProgressAt < PULL_PROGRESS_EVERY_MS) return;
          lastProgressAt = now;
          lastPercent = percent;
          this.update(record, {}, `pulling ${spec.image}: ${percent}%`);
        });
      }
    } catch (err) {
      this.log.warn({ key, image: spec.image, err: errorMessage(err) }, 'image pull failed');
      this.update(
        record,
        { status: InstanceStatus.FAILED },
        `image ${spec.image} could not be pulled: ${errorMessage(err)}`,
      );
      return;
    }
    try {
      const createSpec = toCreateSpec(this.deps.nodeId, spec);
      let containerId: string;
      try {
        containerId = await runtime.createContainer(createSpec);
      } catch (err) {
        if ((err as { httpStatus?: number }).httpStatus !== 409) throw err;
        // A container with this exact key's name is left over (e.g. a crash between create and
        // start). It is ours and not in use, so replace it.
        this.log.warn({ key, name: createSpec.name }, 'replacing leftover container with the same name');
        await runtime.removeContainer(createSpec.name, STOP_TIMEOUT_SECONDS);
        containerId = await runtime.createContainer(createSpec);
      }
      record.containerId = containerId;
      try {
        await runtime.startContainer(containerId);
      } catch (err) {
        // Keep no half-made container: the next command for this slot starts from scratch.
        await runtime.removeContainer(containerId, 0).catch(() => undefined);
        delete record.containerId;
        throw err;
      }
      const info = await runtime.inspectContainer(containerId);
      if (info === undefined) throw new Error('container vanished right after start');
      if (isUp(info)) {
        record.startedAt = this.clock();
        this.update(record, { status: InstanceStatus.RUNNING, hostPorts: info.hostPorts }, undefined);
        this.log.info({ key, containerId, hostPorts: info.hostPorts }, 'instance running');
      } else {
        // Exited before we looked (a quick one-shot job); its die event may already be gone.
        this.settleFromInfo(record, info.exitCode, info.oomKilled);
      }
    } catch (err) {
      this.log.warn({ key, err: errorMessage(err) }, 'instance creation failed');
      this.update(record, { status: InstanceStatus.FAILED }, `container could not be started: ${errorMessage(err)}`);
    }
  }

  private async remove(record: InstanceRecord, reason: RemoveReason, announce: boolean): Promise<void> {
    const key = instanceKeyString(record);
    record.cancelRestart?.();
    delete record.cancelRestart;
    if (record.containerId !== undefined) {
      try {
        await this.deps.runtime.removeContainer(record.containerId, STOP_TIMEOUT_SECONDS);
      } catch (err) {
        // Keep the record: the next command or sync for this slot tries again.
        this.log.error({ key, containerId: record.containerId, err: errorMessage(err) }, 'container removal failed');
        return;
      }
    }
    this.records.delete(key);
    this.log.info({ key, containerId: record.containerId, reason }, 'instance removed');
    if (announce) {
      this.update({ ...record }, { status: InstanceStatus.UNDEPLOYED, hostPorts: [] }, undefined);
    }
  }

  /** Must run under the slot's lock. */
  private async settleExit(containerId: string, eventExitCode: number | undefined): Promise<void> {
    const record = this.recordByContainer(containerId);
    if (record === undefined || record.status !== InstanceStatus.RUNNING) return;
    const info = await this.deps.runtime.inspectContainer(containerId).catch(() => undefined);
    if (info !== undefined && isUp(info)) return;
    if (info === undefined) {
      delete record.containerId;
      this.crashed(record, 'container disappeared (removed outside Canopy)');
      return;
    }
    this.settleFromInfo(record, info.exitCode ?? eventExitCode, info.oomKilled);
  }

  private settleFromInfo(record: InstanceRecord, exitCode: number | undefined, oomKilled: boolean | undefined): void {
    const codeText = exitCode === undefined ? 'container exited' : `container exited with code ${exitCode}`;
    if (record.oneShot && exitCode === 0) {
      this.update(record, { status: InstanceStatus.COMPLETED }, codeText);
    } else {
      this.crashed(record, oomKilled === true ? `${codeText} (killed: out of memory)` : codeText);
    }
    this.log.info({ key: instanceKeyString(record), exitCode, status: record.status }, 'instance exited');
  }

  /**
   * DEAD, and — while the instance is still desired — a restart by the node itself after a growing
   * delay. Needs no cluster: the desired set is local, so a worker cut off from its cluster keeps
   * its services up.
   */
  private crashed(record: InstanceRecord, detail: string): void {
    record.cancelRestart?.();
    delete record.cancelRestart;
    const desired = this.desired.get(slotKey(record));
    if (this.closed || desired === undefined || desired.generation !== record.generation) {
      this.update(record, { status: InstanceStatus.DEAD }, detail);
      return;
    }
    const attempt = attemptAfterCrash(record.backoffAttempt, this.clock() - record.startedAt, this.backoff);
    const delay = restartDelayMs(attempt, this.backoff);
    record.backoffAttempt = attempt + 1;
    const slot = slotKey(record);
    record.cancelRestart = this.time.setTimer(delay, () => {
      delete record.cancelRestart;
      this.locks
        .run(slot, () => this.restartNow(record))
        .catch((err: unknown) =>
          this.log.error({ key: instanceKeyString(record), err: errorMessage(err) }, 'restart failed'),
        );
    });
    this.update(
      record,
      { status: InstanceStatus.DEAD },
      `${detail}; restarting in ${formatDelay(delay)} (restart ${record.restarts + 1})`,
    );
    this.log.warn(
      { key: instanceKeyString(record), delayMs: delay, restarts: record.restarts },
      'instance crashed, restart scheduled',
    );
  }

  /** Must run under the slot's lock. Starts the same container again (same id, same logs). */
  private async restartNow(record: InstanceRecord): Promise<void> {
    const key = instanceKeyString(record);
    if (this.closed || this.records.get(key) !== record || record.status !== InstanceStatus.DEAD) return;
    const desired = this.desired.get(slotKey(record));
    if (desired === undefined || desired.generation !== record.generation) return;
    const lastExit = record.statusDetail?.split(';')[0] ?? 'crashed';
    record.restarts += 1;
    record.startedAt = this.clock();
    const containerId = record.containerId;
    let info: ContainerInfo | undefined;
    if (containerId !== undefined) {
      try {
        await this.deps.runtime.startContainer(containerId);
        info = await this.deps.runtime.inspectContainer(containerId);
      } catch (err) {
        this.log.warn({ key, containerId, err: errorMessage(err) }, 'restarting the container failed, recreating it');
      }
    }
    if (info === undefined) {
      // The container is gone or will not start: make a fresh one for the same key.
      if (containerId !== undefined) await this.deps.runtime.removeContainer(containerId, 0).catch(() => undefined);
      const restarts = record.restarts;
      const backoffAttempt = record.backoffAttempt;
      this.records.delete(key);
      await this.create(desired);
      const fresh = this.records.get(key);
      if (fresh !== undefined) {
        fresh.restarts = restarts;
        fresh.backoffAttempt = backoffAttempt;
      }
      return;
    }
    this.log.info({ key, containerId, restarts: record.restarts }, 'instance restarted');
    if (isUp(info)) {
      const times = record.restarts === 1 ? 'once' : `${record.restarts} times`;
      this.update(
        record,
        { status: InstanceStatus.RUNNING, hostPorts: info.hostPorts },
        `restarted ${times} by the node; last exit: ${lastExit}`,
      );
    } else {
      record.status = InstanceStatus.RUNNING;
      this.settleFromInfo(record, info.exitCode, info.oomKilled);
    }
  }

  private async adopt(container: ContainerInfo): Promise<void> {
    const labelled = instanceFromLabels(container.labels);
    if (labelled === undefined) {
      this.log.warn(
        { containerId: container.id, name: container.name },
        'managed container without a readable key ignored',
      );
      return;
    }
    if (container.state === 'created') {
      // Created but never started: a crash interrupted its creation. Convergence makes a fresh one.
      await this.deps.runtime.removeContainer(container.id, 0).catch((err: unknown) => {
        this.log.warn({ containerId: container.id, err: errorMessage(err) }, 'removing half-created container failed');
      });
      return;
    }
    const slot = slotKey(labelled);
    const spec = this.desired.get(slot);
    const record: InstanceRecord = {
      serviceId: labelled.serviceId,
      instanceNumber: labelled.instanceNumber,
      generation: labelled.generation,
      jobName: labelled.jobName ?? spec?.jobName ?? labelled.serviceId,
      oneShot: labelled.oneShot,
      status: InstanceStatus.RUNNING,
      containerId: container.id,
      hostPorts: container.hostPorts,
      at: this.clock(),
      restarts: 0,
      backoffAttempt: 0,
      startedAt: this.clock(),
    };
    this.records.set(instanceKeyString(record), record);
    if (!isUp(container)) {
      const info = await this.deps.runtime.inspectContainer(container.id).catch(() => undefined);
      this.settleFromInfo(record, info?.exitCode ?? container.exitCode, info?.oomKilled);
    }
    this.log.info(
      { key: instanceKeyString(record), containerId: container.id, status: record.status },
      'container adopted',
    );
  }

  // --- state helpers --------------------------------------------------------------------------

  private setDesired(spec: InstanceSpecDto): void {
    const slot = slotKey(spec);
    const current = this.desired.get(slot);
    if (current === undefined || spec.generation > current.generation) this.desired.set(slot, spec);
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
    return [...this.records.values()].filter((r) => slotKey(r) === slot);
  }

  private recordByContainer(containerId: string): InstanceRecord | undefined {
    for (const record of this.records.values()) if (record.containerId === containerId) return record;
    return undefined;
  }

  private update(
    record: InstanceRecord,
    change: Partial<Pick<InstanceRecord, 'status' | 'hostPorts'>>,
    detail: string | undefined,
  ): void {
    Object.assign(record, change);
    record.at = this.clock();
    if (detail === undefined) delete record.statusDetail;
    else record.statusDetail = detail.slice(0, MAX_DETAIL);
    this.publishRecord(record);
  }

  private publishRecord(record: InstanceRecord): void {
    this.deps.publish(this.message(record));
  }

  private message(record: InstanceRecord): JobStatusMessage {
    return {
      sname: record.jobName,
      instance: record.instanceNumber,
      serviceId: record.serviceId,
      instanceNumber: record.instanceNumber,
      generation: record.generation,
      status: record.status,
      ...(record.statusDetail === undefined ? {} : { status_detail: record.statusDetail }),
      nodeId: this.deps.nodeId,
      nodeName: this.deps.nodeName,
      ...(record.containerId === undefined ? {} : { containerId: record.containerId }),
      ...(this.deps.publicIp === undefined ? {} : { publicIp: this.deps.publicIp }),
      hostPorts: record.hostPorts,
      at: record.at,
      ...(record.restarts > 0 ? { restarts: record.restarts } : {}),
    };
  }
}

function formatDelay(ms: number): string {
  return ms >= 1000 ? `${Math.round(ms / 100) / 10} s` : `${ms} ms`;
}

function isUp(container: ContainerInfo): boolean {
  return container.state === 'running' || container.state === 'restarting' || container.state === 'paused';
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
