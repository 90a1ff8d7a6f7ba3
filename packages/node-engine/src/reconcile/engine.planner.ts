import { InstanceStatus, instanceKeyString } from '@canopy/schema/lite';
import type { InstanceSpecDto } from '@canopy/schema';
import { refusals, type SafetyPolicy } from '../policy/instance-safety.policy';
import { mustPull } from '../policy/private-images';
import { attemptAfterCrash, restartDelayMs, type RestartBackoffSettings } from '../policy/restart-backoff';
import type { EngineStep, ExitObservation, InstanceRecord, RestartHistory } from './engine-step';
import { plan, slotKey, type RemoveReason } from './reconcile.planner';

export interface PlanOptions {
  backoff: RestartBackoffSettings;
  /** what this node allows containers to do; checked before anything is pulled or created */
  policy: SafetyPolicy;
  /** images known to be on the node (looked up for the slots that lack a container) */
  images: ReadonlySet<string>;
  /**
   * repositories this node once pulled with credentials (`imageRepository` form): a launch of one
   * always asks the registry, never runs the cached copy
   */
  privateImages: ReadonlySet<string>;
  /** remove containers of instances that are no longer desired (off while adopting at start) */
  removeUndesired: boolean;
  /** publish UNDEPLOYED for each such removal (a sync does; a delete answers for itself) */
  announceRemovals: boolean;
  /** false once the engine is stopping: crashes are still reported, never restarted */
  restartCrashed: boolean;
}

const NO_HISTORY: RestartHistory = { restarts: 0, attempt: 0, startedAt: 0 };

/**
 * Every step the node takes, decided here from plain data and nothing else:
 * `(actual, desired, now, restart history) → steps`. Generations are settled by `plan` (a stale
 * command never rolls back, a higher generation replaces); then each kept instance moves one step
 * along its life: pull → create → start → RUNNING; an exit → COMPLETED (a one-shot that exited 0,
 * never restarted) or DEAD with a `restart {notBefore}` after the crash loop's backoff.
 *
 * At most one step per record and per desired slot; all removals come first, in slot order.
 */
export function planSteps(
  actual: readonly InstanceRecord[],
  desired: readonly InstanceSpecDto[],
  now: number,
  history: ReadonlyMap<string, RestartHistory>,
  options: PlanOptions,
): EngineStep[] {
  const removals: EngineStep[] = [];
  const launches: EngineStep[] = [];
  const going = new Set<InstanceRecord>();
  for (const step of plan(actual, desired)) {
    if (step.action === 'create') {
      launches.push(launch(step.spec, undefined, options));
      continue;
    }
    if (step.reason === 'not-desired' && !options.removeUndesired) {
      continue;
    }
    going.add(step.instance);
    removals.push(removal(step.instance, step.reason, options));
  }
  const wanted = new Map<string, InstanceSpecDto>();
  for (const spec of desired) {
    const seen = wanted.get(slotKey(spec));
    if (seen === undefined || spec.generation > seen.generation) {
      wanted.set(slotKey(spec), spec);
    }
  }
  const upkeep: EngineStep[] = [];
  for (const record of actual) {
    if (going.has(record)) {
      continue;
    }
    const spec = wanted.get(slotKey(record));
    const own = spec?.generation === record.generation ? spec : undefined;
    const h = history.get(instanceKeyString(record)) ?? NO_HISTORY;
    const step = maintain(record, own, now, h, options);
    if (step !== undefined) {
      upkeep.push(step);
    }
  }
  return [...removals, ...upkeep, ...launches];
}

/** The next step for an instance the node keeps; `spec` only when it is still desired as it is. */
function maintain(
  record: InstanceRecord,
  spec: InstanceSpecDto | undefined,
  now: number,
  history: RestartHistory,
  options: PlanOptions,
): EngineStep | undefined {
  // Final: a completed job is never restarted, whatever is observed later (unless run by hand).
  if (record.status === InstanceStatus.COMPLETED) {
    return record.phase === 'up' ? { kind: 'resume', record } : undefined;
  }
  const exit = record.exit;
  // A one-shot job that exited 0 has finished, however it was last reported.
  if (exit !== undefined && record.oneShot && exit.code === 0 && !exit.vanished) {
    return { kind: 'complete', record, detail: exitDetail(exit) };
  }
  if (exit !== undefined && !exit.settled) {
    const detail = exitDetail(exit);
    if (spec === undefined || !options.restartCrashed) {
      return { kind: 'crash', record, detail };
    }
    const next = nextRestart(exit, history, options.backoff);
    return { kind: 'crash', record, detail, restart: { inMs: next.notBefore - exit.at, number: history.restarts + 1 } };
  }
  if (record.status === InstanceStatus.DEAD) {
    if (record.phase === 'up') {
      return { kind: 'resume', record };
    }
    if (spec === undefined || exit === undefined || !options.restartCrashed) {
      return undefined;
    }
    // The restart already happened and found no container to start: make a fresh one.
    if (record.containerId === undefined && history.startedAt > exit.at) {
      return launch(spec, record, options);
    }
    const next = nextRestart(exit, history, options.backoff);
    const number = history.restarts + 1;
    return {
      kind: 'restart',
      record,
      notBefore: next.notBefore,
      attempt: next.attempt,
      number,
      lastExit: exitDetail(exit),
    };
  }
  if (record.status === InstanceStatus.CREATING) {
    if (record.containerId === undefined) {
      return spec === undefined ? undefined : launch(spec, record, options);
    }
    return record.phase === 'created' ? { kind: 'start', record } : undefined;
  }
  // RUNNING is left alone until an exit is observed; FAILED stays until a new generation comes.
  return undefined;
}

/** Where the crash loop stands after `exit`: back to the base delay after a long healthy run. */
export function nextRestart(
  exit: ExitObservation,
  history: RestartHistory,
  backoff: RestartBackoffSettings,
): { attempt: number; notBefore: number } {
  const attempt = attemptAfterCrash(history.attempt, exit.at - history.startedAt, backoff);
  return { attempt, notBefore: exit.at + restartDelayMs(attempt, backoff) };
}

function launch(spec: InstanceSpecDto, record: InstanceRecord | undefined, options: PlanOptions): EngineStep {
  const withRecord = record === undefined ? {} : { record };
  // Checked here, on the node, whatever the cluster decided: the operator's word is final.
  const reasons = refusals(spec, options.policy);
  if (reasons.length > 0) {
    return { kind: 'refuse', spec, reasons, ...withRecord };
  }
  // Credentials, or an image private on this node: the registry decides, not the cache. Once this
  // launch's pull has succeeded, the container is made from what it brought.
  const fromCache = record?.pulled === true || !mustPull(spec, options.privateImages);
  return { kind: options.images.has(spec.image) && fromCache ? 'create' : 'pull', spec, ...withRecord };
}

function removal(record: InstanceRecord, reason: RemoveReason, options: PlanOptions): EngineStep {
  const announce = options.announceRemovals && reason === 'not-desired';
  return { kind: record.phase === 'up' ? 'stop' : 'remove', record, reason, announce };
}

export function exitDetail(exit: ExitObservation): string {
  if (exit.vanished) {
    return 'container disappeared (removed outside Canopy)';
  }
  const text = exit.code === undefined ? 'container exited' : `container exited with code ${exit.code}`;
  return exit.oomKilled === true ? `${text} (killed: out of memory)` : text;
}
