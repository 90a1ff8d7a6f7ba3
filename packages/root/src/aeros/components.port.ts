import type { AerosComponentStatus, AerosKind } from '@canopy/schema';
import type { Principal } from '../auth/principal';

/**
 * An aerOS CR as Canopy stores and returns it: the submitted `metadata` (labels, annotations) and
 * `spec`, Kubernetes' server-set metadata, and a `status` Canopy fills from the instance it runs.
 * Registry passwords are never returned (`spec.imageRegistry.password` reads `REDACTED_SECRET`).
 */
export interface ComponentObject {
  apiVersion: string;
  kind: AerosKind;
  metadata: {
    name: string;
    namespace: string;
    uid: string;
    /** A decimal string that changes on every write (Kubernetes' optimistic-concurrency token). */
    resourceVersion: string;
    /** Bumped when `spec` changes. */
    generation: number;
    creationTimestamp: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  spec: Record<string, unknown>;
  status: ComponentStatusView;
}

export interface ComponentStatusView {
  /** aerOS's component state (the value behind `urn:ngsi-ld:ServiceComponentStatus:`). */
  serviceComponentStatus: AerosComponentStatus;
  /** The IE id the component runs on (or is pinned to). */
  infrastructureElement: string | null;
  hostname: string | null;
  /** Canopy's own instance status and detail (REQUESTED … RUNNING, FAILED with why). */
  canopyStatus: string;
  detail: string;
  serviceId: string;
  applicationId: string;
  hostPorts: { container_port: number; host_port: number; protocol: string }[];
  observedGeneration: number;
}

export const REDACTED_SECRET = '********';

/**
 * What the LLO API, the Kubernetes surface and `/hlo_al` all call. Inputs are raw parsed bodies
 * (`unknown`): the service validates them with the schema classes, so every entry point refuses the
 * same things with the same field paths (`spec.selectedIE`, `metadata.name`, ...).
 * Errors are the domain errors of `@canopy/nest-edge`: `ValidationFailedError` (400, fields named),
 * `NotFoundError` (404), `ConflictError` (409, exists), `StaleVersionError` (409, resourceVersion).
 */
export interface ComponentsPort {
  /** Creates the CR and deploys it on the IE its `spec.selectedIE` names. `namespace` overrides `metadata.namespace` (default `default`). */
  create(user: Principal, body: unknown, namespace?: string): Promise<ComponentObject>;
  get(user: Principal, kind: AerosKind, namespace: string, name: string): Promise<ComponentObject>;
  /** `namespace` undefined lists every namespace. */
  list(user: Principal, kind: AerosKind, namespace?: string): Promise<ComponentObject[]>;
  /** Replaces the whole CR (PUT). A `metadata.resourceVersion` in the body must match the stored one. */
  replace(user: Principal, kind: AerosKind, namespace: string, name: string, body: unknown): Promise<ComponentObject>;
  /** The LLO API's PATCH: a new `spec` only; labels and the rest are kept. */
  replaceSpec(
    user: Principal,
    kind: AerosKind,
    namespace: string,
    name: string,
    spec: unknown,
  ): Promise<ComponentObject>;
  /** RFC 7386 JSON merge patch over the whole object (kubectl's patch for CRs). */
  mergePatch(
    user: Principal,
    kind: AerosKind,
    namespace: string,
    name: string,
    patch: unknown,
  ): Promise<ComponentObject>;
  /** Undeploys and forgets the CR; returns it as it was. */
  delete(user: Principal, kind: AerosKind, namespace: string, name: string): Promise<ComponentObject>;
  /** Called after any CR or its status changed (for watches). Returns an unsubscribe function. */
  subscribe(listener: (event: { type: 'ADDED' | 'MODIFIED' | 'DELETED'; object: ComponentObject }) => void): () => void;
}

export const COMPONENTS = Symbol('COMPONENTS');
