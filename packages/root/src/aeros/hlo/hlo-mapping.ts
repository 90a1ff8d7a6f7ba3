import { keyValues, type AerosKind, type HloServiceComponentParameters } from '@canopy/schema';
import { ENTITY_ID_ANNOTATION } from '../component-model';
import type { ComponentObject } from '../components.port';

/** Annotation keeping the aerOS service a component was allocated for. */
export const HLO_SERVICE_ANNOTATION = 'canopy.io/hlo-service-id';

/** aerOS's short label form: the URN without `urn:ngsi-ld:`, `:` as `_` (aerOS.md §1.2). */
export function shortLabel(urn: string): string {
  return urn
    .replace(/^urn:ngsi-ld:/, '')
    .replace(/:/g, '_')
    .slice(0, 63);
}

/**
 * One lowercase RFC 1123 name per component id, the same on every path (aerOS's HLO builds it two
 * ways; aerOS.md §1.2): lowercase, anything else `-`, runs collapsed, trimmed to 253.
 */
export function componentName(componentId: string): string {
  const core = componentId
    .replace(/^urn:ngsi-ld:/, '')
    .toLowerCase()
    .replace(/[^a-z0-9.-]/g, '-')
    .replace(/-+/g, '-')
    .replace(/^[-.]+|[-.]+$/g, '');
  return `aeros-${core}`.slice(0, 253).replace(/[-.]+$/, '');
}

export function kindOfOrchestration(type: string): AerosKind | undefined {
  const t = type.toLowerCase();
  if (t === 'servicecomponentdocker' || t.endsWith(':docker') || t === 'docker') {
    return 'ServiceComponentDocker';
  }
  if (t === 'servicecomponentk8s' || t.endsWith(':kubernetes') || t === 'k8s') {
    return 'ServiceComponentK8s';
  }
  return undefined;
}

/** The CR an allocation stands for (what aerOS's HLO would POST to its LLO). */
export function allocationToCr(
  serviceId: string,
  componentId: string,
  kind: AerosKind,
  p: HloServiceComponentParameters,
  overlay?: Record<string, unknown> | null,
): Record<string, unknown> {
  const spec: Record<string, unknown> = {
    selectedIE: { id: p.infrastructure_element.id, hostname: p.infrastructure_element.hostname },
    image: p.image,
    exposePorts: p.exposePorts,
    isJob: p.isJob ?? false,
    // aerOS's HLO always sends TCP (aerOS.md §6).
    ports: (p.ports ?? []).map((port) => ({ number: port.number, protocol: 'TCP' })),
    cliArgs: keyValues(p.cliArgs) ?? [],
    envVars: keyValues(p.envVars) ?? [],
  };
  if (p.isPrivate === true) {
    spec.imageRegistry = { username: p.repoUsername ?? '', password: p.repoPassword ?? '' };
  }
  if (overlay !== undefined && overlay !== null) {
    spec.networkOverlay = {
      internalIp: overlay.Address,
      dns: overlay.DNS,
      privateKey: overlay.PrivateKey,
      publicKey: overlay.PublicKey,
      endpoint: overlay.Endpoint,
      allowedIps: overlay.AllowedIPs,
    };
  }
  const labels: Record<string, string> = {
    'app.kubernetes.io/name': shortLabel(componentId),
    'app.kubernetes.io/instance': shortLabel(componentId),
    'app.kubernetes.io/part-of': shortLabel(serviceId),
    'app.kubernetes.io/managed-by': 'aeros-project.eu',
  };
  if (p.llo_id) {
    labels['app.kubernetes.io/created-by'] = shortLabel(p.llo_id);
  }
  return {
    apiVersion: 'llo.aeros-project.eu/v1alpha1',
    kind,
    metadata: {
      name: componentName(componentId),
      labels,
      annotations: { [ENTITY_ID_ANNOTATION]: componentId, [HLO_SERVICE_ANNOTATION]: serviceId },
    },
    spec,
  };
}

/** A CR read back as aerOS's `ServiceComponentParameters` (no password), with its status. */
export function crToParameters(cr: ComponentObject): Record<string, unknown> {
  const spec = cr.spec as {
    selectedIE?: string | { id: string; hostname: string };
    imageRegistry?: { username?: string };
    ports?: { number: number }[];
    [field: string]: unknown;
  };
  const ie = spec.selectedIE;
  const registry = spec.imageRegistry;
  return {
    id: cr.metadata.annotations?.[ENTITY_ID_ANNOTATION] ?? cr.metadata.name,
    image: spec.image,
    envVars: spec.envVars ?? [],
    cliArgs: spec.cliArgs ?? [],
    infrastructure_element: typeof ie === 'string' ? { id: ie, hostname: cr.status.hostname ?? '' } : ie,
    ports: (spec.ports ?? []).map((p) => ({ number: p.number })),
    orchestration_type: cr.kind,
    llo_id: cr.metadata.labels?.['app.kubernetes.io/created-by'] ?? null,
    exposePorts: spec.exposePorts ?? false,
    isJob: spec.isJob ?? false,
    isPrivate: registry !== undefined,
    repoUsername: registry?.username ?? null,
    serviceComponentStatus: cr.status.serviceComponentStatus,
    infrastructureElement: cr.status.infrastructureElement,
  };
}
