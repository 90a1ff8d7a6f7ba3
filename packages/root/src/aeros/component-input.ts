import {
  AEROS_KIND_INFO,
  AerosServiceComponent,
  SlaMicroservice,
  validateInput,
  type AerosKind,
  ValidationFailedError,
} from '@canopy/schema';
import type { ComponentRecord } from '../persistence/records';
import { microserviceOf, type Pin } from './component-model';
import type { IeDirectory } from './ie-directory';

/**
 * A submitted CR checked before anything is written: the schema's rules, the namespace, the IE its
 * `selectedIE` names, and the SLA microservice it becomes, by the SLA's own rules.
 */
export class ComponentInput {
  constructor(private readonly ies: IeDirectory) {}

  validate(body: unknown): AerosServiceComponent {
    const result = validateInput(AerosServiceComponent, body);
    if (!result.ok) {
      throw new ValidationFailedError(result.errors, 'the custom resource is invalid');
    }
    return result.value;
  }

  namespaceOf(cr: AerosServiceComponent, namespace: string | undefined): string {
    const ns = namespace ?? cr.metadata.namespace ?? 'default';
    if (cr.metadata.namespace !== undefined && cr.metadata.namespace !== ns) {
      throw new ValidationFailedError([
        { path: 'metadata.namespace', message: `does not match the namespace of the request (${ns})` },
      ]);
    }
    cr.metadata.namespace = ns;
    return ns;
  }

  /** `selectedIE` must name a known IE: a CR pinned nowhere would wait forever, silently. */
  async resolve(cr: AerosServiceComponent): Promise<Pin & { ieId: string }> {
    const ref = cr.spec.selectedIE;
    // @IsOptional lets null through as well as a missing field.
    if (ref === undefined || ref === null) {
      throw new ValidationFailedError([{ path: 'spec.selectedIE', message: 'must name the Infrastructure Element' }]);
    }
    const found = await this.ies.resolveInfrastructureElement(ref);
    if (!found.ok) {
      throw new ValidationFailedError([{ path: 'spec.selectedIE', message: found.message }]);
    }
    return { clusterName: found.ie.clusterName, hostname: found.ie.hostname, ieId: found.ie.id };
  }

  /** The CR as the SLA side sees it, checked by the SLA's own rules so nothing invalid is stored. */
  checkedMicroservice(cr: AerosServiceComponent, serviceName: string, pin: Pin): SlaMicroservice {
    const ms = microserviceOf(cr, serviceName, pin);
    const checked = validateInput(SlaMicroservice, ms);
    if (!checked.ok) {
      throw new ValidationFailedError(checked.errors.map((e) => ({ path: `spec (${e.path})`, message: e.message })));
    }
    return ms;
  }
}

export function recordId(kind: AerosKind, namespace: string, name: string): string {
  return `${AEROS_KIND_INFO[kind].plural}/${namespace}/${name}`;
}

export function pinFields(pin: Pin & { ieId: string }): Pick<ComponentRecord, 'ieId' | 'hostname' | 'clusterName'> {
  return { ieId: pin.ieId, hostname: pin.hostname, clusterName: pin.clusterName };
}

/** A validated class instance back to plain JSON (what is stored and compared). */
export function plain<T>(value: T): Record<string, unknown> {
  return JSON.parse(JSON.stringify(value)) as Record<string, unknown>;
}

export function resourceVersionOf(body: unknown): string | undefined {
  const metadata = (body as { metadata?: { resourceVersion?: unknown } } | null)?.metadata;
  return typeof metadata?.resourceVersion === 'string' && metadata.resourceVersion !== ''
    ? metadata.resourceVersion
    : undefined;
}

/** The stored CR as a client sent it (unredacted), the base of patches. */
export function rawOf(record: ComponentRecord): Record<string, unknown> {
  return {
    apiVersion: 'llo.aeros-project.eu/v1alpha1',
    kind: record.kind,
    metadata: {
      name: record.name,
      namespace: record.namespace,
      labels: record.labels,
      annotations: record.annotations,
    },
    spec: record.spec,
  };
}
