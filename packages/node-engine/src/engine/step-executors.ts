import { InstanceStatus, instanceKeyString } from '@canopy/schema/lite';
import type { Logger } from 'pino';
import type { ContainerRuntime } from '../docker/container-runtime.port';
import type { EngineStep, EngineStepKind, InstanceRecord } from '../reconcile/engine-step';
import type { HostLookup } from '../policy/registry-policy';
import type { PrivateImageStore } from '../state/private-images.file';
import type { EngineClock } from './clock.port';
import { errorMessage, type CrashSupervisor } from './crash-supervisor';
import { create, pull, recordFor, restart, start } from './launcher';
import type { StatusReporter } from './status-reporter';

/** Seconds Docker waits after SIGTERM before SIGKILL when Canopy removes a container. */
const STOP_TIMEOUT_SECONDS = 2;

export interface ExecutorContext {
  runtime: ContainerRuntime;
  reporter: StatusReporter;
  supervisor: CrashSupervisor;
  clock: EngineClock;
  log: Logger;
  nodeId: string;
  /** the node's records by instance key; executors add and drop them as containers come and go */
  records: Map<string, InstanceRecord>;
  /** repositories pulled here with credentials; the pull executor adds to it */
  privateImages: PrivateImageStore;
  /** the node's NODE_ALLOW_PRIVATE_REGISTRIES; otherwise a registry resolving inward is refused */
  allowPrivateRegistries: boolean;
  /** how registry names are resolved before a pull; default the system resolver */
  resolveHost?: HostLookup;
}

/**
 * `done`: carried out (the planner is asked again); `waiting`: its precondition has not come yet
 * (a wake-up is armed); `failed`: Docker refused, the next command or sync tries again.
 */
export type StepOutcome = 'done' | 'waiting' | 'failed';

type Executor<K extends EngineStepKind> = (
  step: Extract<EngineStep, { kind: K }>,
  ctx: ExecutorContext,
) => Promise<StepOutcome>;

/** One small executor per step kind; none of them decides what comes next. */
export const EXECUTORS: { [K in EngineStepKind]: Executor<K> } = {
  refuse: (step, ctx) => {
    const record = recordFor(step, ctx);
    ctx.log.warn({ key: instanceKeyString(step.spec), reasons: step.reasons }, 'instance refused by node policy');
    ctx.reporter.update(record, { status: InstanceStatus.FAILED }, `refused by node: ${step.reasons.join('; ')}`);
    return Promise.resolve('done');
  },
  pull,
  create,
  start,
  restart,
  complete: ({ record, detail }, ctx) => {
    if (record.exit !== undefined) {
      record.exit.settled = true;
    }
    ctx.reporter.update(record, { status: InstanceStatus.COMPLETED }, detail);
    ctx.log.info({ key: instanceKeyString(record), status: record.status }, 'instance completed');
    return Promise.resolve('done');
  },
  crash: ({ record, detail, restart: next }, ctx) => {
    if (record.exit !== undefined) {
      record.exit.settled = true;
    }
    const key = instanceKeyString(record);
    if (next === undefined) {
      ctx.reporter.update(record, { status: InstanceStatus.DEAD }, detail);
      ctx.log.info({ key }, 'instance dead');
    } else {
      const text = `${detail}; restarting in ${formatDelay(next.inMs)} (restart ${next.number})`;
      ctx.reporter.update(record, { status: InstanceStatus.DEAD }, text);
      ctx.log.warn({ key, delayMs: next.inMs, restarts: next.number - 1 }, 'instance crashed, restart scheduled');
    }
    return Promise.resolve('done');
  },
  resume: async ({ record }, ctx) => {
    const info = record.containerId === undefined ? undefined : await ctx.runtime.inspectContainer(record.containerId);
    delete record.exit;
    ctx.supervisor.started(record);
    ctx.reporter.update(
      record,
      { status: InstanceStatus.RUNNING, hostPorts: info?.hostPorts ?? record.hostPorts },
      undefined,
    );
    return 'done';
  },
  stop: async ({ record }, ctx) => {
    if (record.containerId !== undefined) {
      try {
        await ctx.runtime.stopContainer(record.containerId, STOP_TIMEOUT_SECONDS);
      } catch (err) {
        return removalFailed(record, err, ctx);
      }
    }
    // Our own stop, not an exit to settle: the removal follows in the next round.
    record.phase = 'exited';
    return 'done';
  },
  remove: async ({ record, reason, announce }, ctx) => {
    if (record.containerId !== undefined) {
      try {
        await ctx.runtime.removeContainer(record.containerId, STOP_TIMEOUT_SECONDS);
      } catch (err) {
        return removalFailed(record, err, ctx);
      }
    }
    const key = instanceKeyString(record);
    ctx.records.delete(key);
    ctx.log.info({ key, containerId: record.containerId, reason }, 'instance removed');
    if (announce) {
      ctx.reporter.update({ ...record }, { status: InstanceStatus.UNDEPLOYED, hostPorts: [] }, undefined);
    }
    ctx.supervisor.forget(record);
    return 'done';
  },
};

/** Runs one step with its executor. */
export function execute(step: EngineStep, ctx: ExecutorContext): Promise<StepOutcome> {
  // The table is keyed by kind, so the entry for `step.kind` accepts exactly this step.
  const executor = EXECUTORS[step.kind] as (step: EngineStep, ctx: ExecutorContext) => Promise<StepOutcome>;
  return executor(step, ctx);
}

function removalFailed(record: InstanceRecord, err: unknown, ctx: ExecutorContext): StepOutcome {
  // Keep the record: the next command or sync for this slot tries again.
  const key = instanceKeyString(record);
  ctx.log.error({ key, containerId: record.containerId, err: errorMessage(err) }, 'container removal failed');
  return 'failed';
}

function formatDelay(ms: number): string {
  return ms >= 1000 ? `${Math.round(ms / 100) / 10} s` : `${ms} ms`;
}
