import type { BoundPortDto, InstanceKey, InstanceSpecDto, InstanceStatus } from '@canopy/schema';
import type { RemoveReason } from './reconcile.planner';

/** What the node last saw of an instance's container. */
export type ContainerPhase = 'created' | 'up' | 'exited';

/** A container that stopped on its own (or vanished), as observed; settled once a step reported it. */
export interface ExitObservation {
  code?: number | undefined;
  oomKilled?: boolean | undefined;
  /** the container is gone altogether (removed outside Canopy) */
  vanished: boolean;
  at: number;
  settled: boolean;
}

/** What the node has for one idempotency key: a container, or a failed attempt that left none. */
export interface InstanceRecord extends InstanceKey {
  jobName: string;
  oneShot: boolean;
  /** what was last reported up; the planner never infers the container's state from it */
  status: InstanceStatus;
  statusDetail?: string | undefined;
  containerId?: string | undefined;
  /** `undefined` while there is no container */
  phase?: ContainerPhase | undefined;
  exit?: ExitObservation | undefined;
  /** this launch's pull succeeded (the registry let it have the image): create from it, pull no more */
  pulled?: boolean | undefined;
  hostPorts: BoundPortDto[];
  at: number;
}

/** One instance's crash-loop memory (this engine's lifetime), keyed by `instanceKeyString`. */
export interface RestartHistory {
  /** restarts by this node after crashes */
  restarts: number;
  /** position in the backoff schedule for the next crash */
  attempt: number;
  /** when the container was last (re)started or adopted */
  startedAt: number;
}

export interface Removal {
  record: InstanceRecord;
  reason: RemoveReason;
  /** publish UNDEPLOYED once gone (a sync does; a delete answers for itself) */
  announce: boolean;
}

/**
 * The node's step vocabulary: one kind per action, each run by one small executor
 * (`engine/step-executors.ts`). At most one step per record and per desired slot in a plan; the
 * executor applies a plan and the planner is asked again until nothing is left to do.
 */
export type EngineStep =
  /** the node's own policy forbids the spec: FAILED without touching Docker */
  | { kind: 'refuse'; spec: InstanceSpecDto; record?: InstanceRecord; reasons: string[] }
  /** the image is missing, or the registry must be asked (credentials, a private image): download it */
  | { kind: 'pull'; spec: InstanceSpecDto; record?: InstanceRecord }
  /** the image is here, the container is not: create it (not started) */
  | { kind: 'create'; spec: InstanceSpecDto; record?: InstanceRecord }
  /** a created container that never ran: start it */
  | { kind: 'start'; record: InstanceRecord }
  /** a one-shot job exited 0: COMPLETED, and never restarted */
  | { kind: 'complete'; record: InstanceRecord; detail: string }
  /** the container exited or vanished: DEAD, saying when the node restarts it (if it will) */
  | { kind: 'crash'; record: InstanceRecord; detail: string; restart?: { inMs: number; number: number } }
  /** start the crashed instance again, not before `notBefore` (crash-loop backoff) */
  | {
      kind: 'restart';
      record: InstanceRecord;
      notBefore: number;
      /** backoff position this restart consumes */
      attempt: number;
      /** restart count once done */
      number: number;
      lastExit: string;
    }
  /** the container runs again although the node had it DEAD or COMPLETED (started by hand) */
  | { kind: 'resume'; record: InstanceRecord }
  /** a running container that must go: stop it first (SIGTERM, then SIGKILL) */
  | ({ kind: 'stop' } & Removal)
  /** a container that is not running (or no container) that must go */
  | ({ kind: 'remove' } & Removal);

export type EngineStepKind = EngineStep['kind'];
