import { InstanceStatus, instanceKeyString } from '@canopy/schema/lite';
import type { InstanceSpecDto } from '@canopy/schema';
import type { ContainerInfo } from '../docker/container-runtime.port';
import type { EngineStep, InstanceRecord } from '../reconcile/engine-step';
import { imageRepository } from '../policy/private-images';
import { registryRefusal } from '../policy/registry-policy';
import { slotKey } from '../reconcile/reconcile.planner';
import { toCreateSpec } from './container-spec';
import { errorMessage, isUp } from './crash-supervisor';
import type { ExecutorContext, StepOutcome } from './step-executors';

/** At most one CREATING update per this many ms while an image downloads. */
const PULL_PROGRESS_EVERY_MS = 1000;
/** Seconds Docker waits after SIGTERM before SIGKILL when Canopy replaces a leftover container. */
const STOP_TIMEOUT_SECONDS = 2;

type StepOf<K extends EngineStep['kind']> = Extract<EngineStep, { kind: K }>;

/** The step's record, or a fresh CREATING one registered under the spec's key. */
export function recordFor(
  step: { spec: InstanceSpecDto; record?: InstanceRecord },
  ctx: ExecutorContext,
): InstanceRecord {
  if (step.record !== undefined) {
    return step.record;
  }
  const spec = step.spec;
  const record: InstanceRecord = {
    serviceId: spec.serviceId,
    instanceNumber: spec.instanceNumber,
    generation: spec.generation,
    jobName: spec.jobName,
    oneShot: spec.oneShot,
    status: InstanceStatus.CREATING,
    hostPorts: [],
    at: ctx.clock.now(),
  };
  ctx.records.set(instanceKeyString(spec), record);
  return record;
}

/** CREATING is announced once per launch: by a fresh record, or a crashed one made anew. */
function enterCreating(step: { record?: InstanceRecord }, record: InstanceRecord, ctx: ExecutorContext): void {
  if (step.record === undefined || record.status !== InstanceStatus.CREATING) {
    delete record.exit;
    ctx.reporter.update(record, { status: InstanceStatus.CREATING, hostPorts: [] }, undefined);
  }
}

export async function pull(step: StepOf<'pull'>, ctx: ExecutorContext): Promise<StepOutcome> {
  const { spec } = step;
  const record = recordFor(step, ctx);
  enterCreating(step, record, ctx);
  const key = instanceKeyString(spec);
  // The literal addresses were refused by the planner; a name is judged by what it resolves to
  // (this machine's own host name is 127.0.0.1 in /etc/hosts), just before Docker would dial it.
  const refused = await registryRefusal(spec.image, ctx.allowPrivateRegistries, ctx.resolveHost);
  if (refused !== undefined) {
    ctx.log.warn({ key, image: spec.image }, 'instance refused by node policy');
    ctx.reporter.update(record, { status: InstanceStatus.FAILED }, `refused by node: ${refused}`);
    return 'done';
  }
  // Never the password: only whether credentials came along, and for which registry.
  ctx.log.info(
    {
      key,
      image: spec.image,
      registry: spec.registryAuth?.serveraddress,
      withCredentials: spec.registryAuth !== undefined,
    },
    'pulling image',
  );
  ctx.reporter.update(record, {}, `pulling ${spec.image}`);
  let lastProgressAt = ctx.clock.now();
  let lastPercent = -1;
  try {
    await ctx.runtime.pullImage(spec.image, spec.registryAuth, (percent) => {
      const now = ctx.clock.now();
      if (percent === lastPercent || now - lastProgressAt < PULL_PROGRESS_EVERY_MS) {
        return;
      }
      lastProgressAt = now;
      lastPercent = percent;
      ctx.reporter.update(record, {}, `pulling ${spec.image}: ${percent}%`);
    });
    record.pulled = true;
  } catch (err) {
    ctx.log.warn({ key, image: spec.image, err: errorMessage(err) }, 'image pull failed');
    const detail = `image ${spec.image} could not be pulled: ${errorMessage(err)}`;
    ctx.reporter.update(record, { status: InstanceStatus.FAILED }, detail);
    return 'done';
  }
  if (spec.registryAuth !== undefined) {
    await rememberPrivate(spec.image, ctx);
  }
  return 'done';
}

/** Pulled with credentials: from now on every launch of this repository asks the registry. */
async function rememberPrivate(image: string, ctx: ExecutorContext): Promise<void> {
  const repository = imageRepository(image);
  try {
    await ctx.privateImages.add(repository);
  } catch (err) {
    // Still private for this engine's lifetime (the set is in memory); only the file lags.
    ctx.log.warn({ repository, err: errorMessage(err) }, 'saving the private image list failed');
  }
}

export async function create(step: StepOf<'create'>, ctx: ExecutorContext): Promise<StepOutcome> {
  const record = recordFor(step, ctx);
  enterCreating(step, record, ctx);
  const createSpec = toCreateSpec(ctx.nodeId, step.spec);
  try {
    let containerId: string;
    try {
      containerId = await ctx.runtime.createContainer(createSpec);
    } catch (err) {
      if ((err as { httpStatus?: number }).httpStatus !== 409) {
        throw err;
      }
      // A container with this exact key's name is left over (e.g. a crash between create and
      // start). It is ours and not in use, so replace it.
      ctx.log.warn(
        { key: instanceKeyString(record), name: createSpec.name },
        'replacing leftover container with the same name',
      );
      await ctx.runtime.removeContainer(createSpec.name, STOP_TIMEOUT_SECONDS);
      containerId = await ctx.runtime.createContainer(createSpec);
    }
    record.containerId = containerId;
    record.phase = 'created';
  } catch (err) {
    failLaunch(record, err, ctx);
  }
  return 'done';
}

export async function start(step: StepOf<'start'>, ctx: ExecutorContext): Promise<StepOutcome> {
  const { record } = step;
  const containerId = record.containerId;
  if (containerId === undefined) {
    return 'failed';
  }
  let info: ContainerInfo | undefined;
  try {
    await ctx.runtime.startContainer(containerId);
    info = await ctx.runtime.inspectContainer(containerId);
    if (info === undefined) {
      throw new Error('container vanished right after start');
    }
  } catch (err) {
    // Keep no half-made container: the next command for this slot starts from scratch.
    await ctx.runtime.removeContainer(containerId, 0).catch(() => undefined);
    delete record.containerId;
    delete record.phase;
    failLaunch(record, err, ctx);
    return 'done';
  }
  ctx.supervisor.started(record);
  if (isUp(info)) {
    record.phase = 'up';
    ctx.reporter.update(record, { status: InstanceStatus.RUNNING, hostPorts: info.hostPorts }, undefined);
    ctx.log.info({ key: instanceKeyString(record), containerId, hostPorts: info.hostPorts }, 'instance running');
  } else {
    // Exited before we looked (a quick one-shot job); its die event may already be gone.
    observeStoppedAfterStart(record, info, ctx);
  }
  return 'done';
}

/** Starts the same container again (same id, same logs) once `notBefore` has come. */
export async function restart(step: StepOf<'restart'>, ctx: ExecutorContext): Promise<StepOutcome> {
  const { record } = step;
  if (ctx.clock.now() < step.notBefore) {
    ctx.supervisor.wakeAt(slotKey(record), step.notBefore);
    return 'waiting';
  }
  ctx.supervisor.restarted(record, step.attempt);
  const key = instanceKeyString(record);
  const containerId = record.containerId;
  // No container to start: the planner makes a fresh one for the same key next.
  if (containerId === undefined) {
    return 'done';
  }
  let info: ContainerInfo | undefined;
  try {
    await ctx.runtime.startContainer(containerId);
    info = await ctx.runtime.inspectContainer(containerId);
  } catch (err) {
    ctx.log.warn({ key, containerId, err: errorMessage(err) }, 'restarting the container failed, recreating it');
  }
  if (info === undefined) {
    await ctx.runtime.removeContainer(containerId, 0).catch(() => undefined);
    delete record.containerId;
    delete record.phase;
    return 'done';
  }
  ctx.log.info({ key, containerId, restarts: step.number }, 'instance restarted');
  if (isUp(info)) {
    record.phase = 'up';
    delete record.exit;
    const times = step.number === 1 ? 'once' : `${step.number} times`;
    const detail = `restarted ${times} by the node; last exit: ${step.lastExit}`;
    ctx.reporter.update(record, { status: InstanceStatus.RUNNING, hostPorts: info.hostPorts }, detail);
  } else {
    observeStoppedAfterStart(record, info, ctx);
  }
  return 'done';
}

function observeStoppedAfterStart(record: InstanceRecord, info: ContainerInfo, ctx: ExecutorContext): void {
  record.phase = 'exited';
  record.exit = {
    code: info.exitCode,
    oomKilled: info.oomKilled,
    vanished: false,
    at: ctx.clock.now(),
    settled: false,
  };
}

function failLaunch(record: InstanceRecord, err: unknown, ctx: ExecutorContext): void {
  ctx.log.warn({ key: instanceKeyString(record), err: errorMessage(err) }, 'instance creation failed');
  const detail = `container could not be started: ${errorMessage(err)}`;
  ctx.reporter.update(record, { status: InstanceStatus.FAILED }, detail);
}
