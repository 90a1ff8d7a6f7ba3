import { InstanceStatus, instanceKeyString, type InstanceSpecDto } from '@canopy/schema';
import { instanceSpec } from '@canopy/testing';
import type { SafetyPolicy } from '../../src/policy/instance-safety.policy';
import type { EngineStep, ExitObservation, InstanceRecord, RestartHistory } from '../../src/reconcile/engine-step';
import type { PlanOptions } from '../../src/reconcile/engine.planner';

/* Plain-data records, specs and options for the node planner's unit tests. */

export const BACKOFF = { baseMs: 10_000, maxMs: 300_000, resetAfterMs: 600_000 };
export const POLICY: SafetyPolicy = {
  allowPrivileged: false,
  allowHostNamespaces: false,
  allowBindMounts: false,
  allowDockerSocket: false,
  allowCapabilities: [],
  imageAllowlist: [],
  gpus: 0,
};
export const IMAGE = 'canopy-test/busybox:latest';
export const T0 = 1_000_000;

export function options(overrides: Partial<PlanOptions> = {}): PlanOptions {
  return {
    backoff: BACKOFF,
    policy: POLICY,
    images: new Set([IMAGE]),
    privateImages: new Set(),
    removeUndesired: true,
    announceRemovals: false,
    restartCrashed: true,
    ...overrides,
  };
}

export function spec(serviceId = 'a', overrides: Partial<InstanceSpecDto> = {}): InstanceSpecDto {
  return instanceSpec(serviceId, { image: IMAGE, ...overrides });
}

export function record(overrides: Partial<InstanceRecord> = {}): InstanceRecord {
  return {
    serviceId: 'a',
    instanceNumber: 0,
    generation: 1,
    jobName: 'job',
    oneShot: false,
    status: InstanceStatus.RUNNING,
    containerId: 'c1',
    phase: 'up',
    hostPorts: [],
    at: T0,
    ...overrides,
  };
}

export function exited(code: number | undefined, at = T0, more: Partial<ExitObservation> = {}): ExitObservation {
  return { code, vanished: false, at, settled: false, ...more };
}

export function historyOf(r: InstanceRecord, h: Partial<RestartHistory> = {}): Map<string, RestartHistory> {
  return new Map([[instanceKeyString(r), { restarts: 0, attempt: 0, startedAt: T0 - 1000, ...h }]]);
}

/** Steps as short strings, so expectations read like what an operator would expect. */
export function kinds(steps: EngineStep[]): string[] {
  return steps.map((s) => {
    if (s.kind === 'restart') {
      return `restart@+${s.notBefore - (s.record.exit?.at ?? 0)}`;
    }
    if (s.kind === 'crash') {
      return s.restart === undefined ? 'crash' : `crash(restart in ${s.restart.inMs})`;
    }
    return s.kind;
  });
}
