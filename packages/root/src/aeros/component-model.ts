import {
  COMPONENT_SPEC_SECRETS,
  AEROS_API_VERSION,
  InstanceStatus,
  serviceComponentToMicroservice,
  toAerosStatus,
  type AerosComponentStatus,
  type AerosServiceComponent,
  type SlaMicroservice,
} from '@canopy/schema';
import type { ComponentRecord, InstanceRecord } from '../persistence/records';
import { REDACTED_SECRET, type ComponentObject, type ComponentStatusView } from './components.port';
import { objectOf } from '../common/plain-object';

/** SLA names are `[a-zA-Z0-9]{1,30}`; Kubernetes names and labels have dashes, dots, underscores. */
export function slaName(raw: string | undefined, fallback: string): string {
  const cleaned = (raw ?? '').replace(/[^a-zA-Z0-9]/g, '').slice(0, 30);
  return cleaned === '' ? fallback : cleaned;
}

/**
 * The Canopy application a CR belongs to: its `app.kubernetes.io/part-of` label (the aerOS service),
 * in the CR's namespace. CRs without the label share one application per namespace.
 */
export function applicationOf(cr: AerosServiceComponent): { name: string; namespace: string } {
  return {
    name: slaName(cr.metadata.labels?.['app.kubernetes.io/part-of'], 'aeros'),
    namespace: slaName(cr.metadata.namespace ?? 'default', 'default'),
  };
}

/** Annotation an HLO allocation sets to the exact NGSI-LD id of its ServiceComponent. */
export const ENTITY_ID_ANNOTATION = 'canopy.io/ngsi-ld-id';

/**
 * The NGSI-LD ServiceComponent entity a CR reports its status to. aerOS's HLO names components
 * `urn:ngsi-ld:Service:<s>:Component:<c>` and labels the CR `app.kubernetes.io/instance:
 * Service_<s>_Component_<c>` (the URN without its prefix, `:` as `_`), which is turned back here.
 * Lossy for ids holding `_`, exactly as aerOS's own labels are; `/hlo_al` passes the exact id in an
 * annotation instead. Anything else gets an id of Canopy's own.
 */
export function entityIdOf(cr: AerosServiceComponent, namespace: string): string {
  const annotated = cr.metadata.annotations?.[ENTITY_ID_ANNOTATION];
  if (annotated !== undefined && annotated.startsWith('urn:ngsi-ld:')) {
    return annotated;
  }
  const instance = cr.metadata.labels?.['app.kubernetes.io/instance'];
  if (instance !== undefined && /^Service_.+_Component_.+$/.test(instance)) {
    return `urn:ngsi-ld:${instance.replace(/_/g, ':')}`;
  }
  return `urn:ngsi-ld:ServiceComponent:${namespace}:${cr.metadata.name}`;
}

/** Where a CR runs: the cluster and node its `selectedIE` resolved to. */
export interface Pin {
  clusterName: string;
  hostname: string;
}

/**
 * The CR as one Canopy microservice (SPEC §5): one replica, pinned to the resolved IE's cluster and
 * node, under the service name already given to it.
 */
export function microserviceOf(cr: AerosServiceComponent, serviceName: string, pin: Pin): SlaMicroservice {
  const ms = serviceComponentToMicroservice(cr);
  return {
    ...ms,
    microservice_name: serviceName,
    microservice_namespace: 'aeros',
    replicas: 1,
    constraints: [{ type: 'direct', cluster: pin.clusterName, node: pin.hostname }],
  };
}

/**
 * A spec's change needs a recreate (old container gone before the new one starts) when both would
 * run on the same node and publish fixed host ports: the new one could not bind them. Moving to
 * another IE surges instead, so there is no gap.
 */
export function needsRecreate(before: SlaMicroservice, after: SlaMicroservice, samePin: boolean): boolean {
  const fixedPorts = (ms: SlaMicroservice) => (ms.port ?? '').split(';').some((p) => p.includes(':'));
  return samePin && (fixedPorts(before) || fixedPorts(after));
}

export interface ComponentState {
  status: AerosComponentStatus;
  /** The instance whose status this is, if any. */
  instance?: InstanceRecord;
}

/**
 * aerOS's component status from the service's instances. While a move or an update surges, the old
 * instance keeps the component Running until the new one is (no gap); a removal is Removing until
 * every container is confirmed gone, then Finished; a job that exited 0 is Finished.
 */
export function componentState(instances: readonly InstanceRecord[], generation: number): ComponentState {
  const byNewest = [...instances].sort((a, b) => b.instanceNumber - a.instanceNumber);
  const live = byNewest.filter((i) => i.desired === 'running');
  const current = live.find((i) => i.generation >= generation);
  if (current?.status === InstanceStatus.RUNNING || current?.status === InstanceStatus.COMPLETED) {
    return { status: toAerosStatus(current.status), instance: current };
  }
  const serving = live.find((i) => i.status === InstanceStatus.RUNNING);
  if (serving !== undefined) {
    return { status: 'Running', instance: serving };
  }
  if (current !== undefined) {
    return { status: toAerosStatus(current.status), instance: current };
  }
  if (live[0] !== undefined) {
    return { status: toAerosStatus(live[0].status), instance: live[0] };
  }
  const removing = byNewest.find(
    (i) => i.status !== InstanceStatus.UNDEPLOYED && i.status !== InstanceStatus.COMPLETED,
  );
  if (removing !== undefined) {
    return { status: 'Removing', instance: removing };
  }
  const last = byNewest[0];
  if (last === undefined) {
    return { status: 'Starting' };
  }
  return { status: 'Finished', instance: last };
}

/** `spec` with every secret it holds replaced by the placeholder. */
export function redactSpec(spec: Record<string, unknown>): Record<string, unknown> {
  let out = spec;
  for (const [object, key] of COMPONENT_SPEC_SECRETS) {
    const holder = objectOf(spec[object]);
    if (holder?.[key] !== undefined) {
      out = { ...out, [object]: { ...holder, [key]: REDACTED_SECRET } };
    }
  }
  return out;
}

/** kubectl keeps the whole applied object in this annotation, registry password included. */
const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

export function redactAnnotations(annotations: Record<string, string>): Record<string, string> {
  const raw = annotations[LAST_APPLIED];
  if (raw === undefined) {
    return annotations;
  }
  try {
    const applied = JSON.parse(raw) as { spec?: Record<string, unknown> };
    if (applied.spec === undefined) {
      return annotations;
    }
    const spec = redactSpec(applied.spec);
    // Nothing secret: keep kubectl's exact bytes (its trailing newline included), or a second
    // `kubectl apply` of the same file sees a changed annotation and says "configured".
    if (spec === applied.spec) {
      return annotations;
    }
    const newline = raw.endsWith('\n') ? '\n' : '';
    return { ...annotations, [LAST_APPLIED]: `${JSON.stringify({ ...applied, spec })}${newline}` };
  } catch {
    return annotations;
  }
}

/** A write that carries the placeholder back (read, edit, write) keeps the stored secret. */
export function restoreSecrets(
  next: Record<string, unknown>,
  stored: Record<string, unknown>,
): Record<string, unknown> {
  let out = next;
  for (const [object, key] of COMPONENT_SPEC_SECRETS) {
    const holder = objectOf(next[object]);
    const old = objectOf(stored[object]);
    if (holder?.[key] === REDACTED_SECRET && old !== undefined) {
      out = { ...out, [object]: { ...holder, [key]: old[key] } };
    }
  }
  return out;
}

/** RFC 7386 JSON merge patch: objects merge, `null` deletes, anything else replaces. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) {
    return patch;
  }
  const base: Record<string, unknown> =
    target !== null && typeof target === 'object' && !Array.isArray(target)
      ? { ...(target as Record<string, unknown>) }
      : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) {
      delete base[key];
    } else {
      base[key] = mergePatch(base[key], value);
    }
  }
  return base;
}

/** The CR as read back: the submitted object, Kubernetes' server-set metadata and Canopy's status. */
export function toComponentObject(record: ComponentRecord, status: ComponentStatusView): ComponentObject {
  const metadata: ComponentObject['metadata'] = {
    name: record.name,
    namespace: record.namespace,
    uid: record.uid,
    resourceVersion: String(record.version),
    generation: record.generation,
    creationTimestamp: record.createdAt.replace(/\.\d+Z$/, 'Z'),
  };
  if (Object.keys(record.labels).length > 0) {
    metadata.labels = record.labels;
  }
  if (Object.keys(record.annotations).length > 0) {
    metadata.annotations = redactAnnotations(record.annotations);
  }
  return { apiVersion: AEROS_API_VERSION, kind: record.kind, metadata, spec: redactSpec(record.spec), status };
}
