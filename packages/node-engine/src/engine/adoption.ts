import { InstanceStatus, instanceKeyString } from '@canopy/schema/lite';
import type { InstanceSpecDto } from '@canopy/schema';
import type { ContainerInfo } from '../docker/container-runtime.port';
import type { InstanceRecord } from '../reconcile/engine-step';
import { slotKey } from '../reconcile/reconcile.planner';
import { instanceFromLabels } from './container-spec';
import { errorMessage, isUp } from './crash-supervisor';
import type { ExecutorContext } from './step-executors';

/**
 * Rebuilds one record from a container Docker holds for this node (after an engine restart). A
 * running container is taken as it is, never restarted or recreated; an exited one carries its
 * exit for the planner to settle; a created-but-never-started one is removed (a crash interrupted
 * its creation) and convergence makes a fresh one.
 */
export async function adoptContainer(
  container: ContainerInfo,
  desired: ReadonlyMap<string, InstanceSpecDto>,
  ctx: ExecutorContext,
): Promise<InstanceRecord | undefined> {
  const labelled = instanceFromLabels(container.labels);
  if (labelled === undefined) {
    ctx.log.warn(
      { containerId: container.id, name: container.name },
      'managed container without a readable key ignored',
    );
    return undefined;
  }
  if (container.state === 'created') {
    await ctx.runtime.removeContainer(container.id, 0).catch((err: unknown) => {
      ctx.log.warn({ containerId: container.id, err: errorMessage(err) }, 'removing half-created container failed');
    });
    return undefined;
  }
  const spec = desired.get(slotKey(labelled));
  const up = isUp(container);
  const record: InstanceRecord = {
    serviceId: labelled.serviceId,
    instanceNumber: labelled.instanceNumber,
    generation: labelled.generation,
    jobName: labelled.jobName ?? spec?.jobName ?? labelled.serviceId,
    oneShot: labelled.oneShot,
    // Not reported by this engine yet: an exited container's exit is settled by the planner.
    status: up ? InstanceStatus.RUNNING : InstanceStatus.DEAD,
    containerId: container.id,
    phase: up ? 'up' : 'exited',
    hostPorts: container.hostPorts,
    at: ctx.clock.now(),
  };
  if (!up) {
    const info = await ctx.runtime.inspectContainer(container.id).catch(() => undefined);
    const code = info?.exitCode ?? container.exitCode;
    record.exit = { code, oomKilled: info?.oomKilled, vanished: false, at: ctx.clock.now(), settled: false };
  }
  ctx.supervisor.started(record);
  ctx.log.info(
    { key: instanceKeyString(record), containerId: container.id, status: record.status },
    'container adopted',
  );
  return record;
}
