import type { AerosComponentStatus } from '../status';
import { AEROS_API_VERSION, type AerosKind } from './service-component.dto';

export const AEROS_GROUP = 'llo.aeros-project.eu';
export const AEROS_VERSION = 'v1alpha1';

/** How each CR kind is named on the Kubernetes API and by the LLO API's `type` parameter. */
export interface AerosKindInfo {
  kind: AerosKind;
  /** Kubernetes resource name (plural); aerOS's `servicecomponentk8s` is its own plural. */
  plural: string;
  singular: string;
  shortNames: string[];
  /** The `type` values the LLO API accepts for it (case-insensitive). */
  lloTypes: string[];
}

export const AEROS_KIND_INFO: Readonly<Record<AerosKind, AerosKindInfo>> = {
  ServiceComponentDocker: {
    kind: 'ServiceComponentDocker',
    plural: 'servicecomponentdockers',
    singular: 'servicecomponentdocker',
    shortNames: ['scd'],
    lloTypes: ['docker', 'servicecomponentdocker'],
  },
  ServiceComponentK8s: {
    kind: 'ServiceComponentK8s',
    plural: 'servicecomponentk8s',
    singular: 'servicecomponentk8s',
    shortNames: ['sck'],
    lloTypes: ['k8s', 'servicecomponentk8s'],
  },
};

/** The kind a Kubernetes resource name (plural, singular or short name) stands for. */
export function kindOfResource(resource: string): AerosKind | undefined {
  const r = resource.toLowerCase();
  return Object.values(AEROS_KIND_INFO).find((i) => i.plural === r || i.singular === r || i.shortNames.includes(r))
    ?.kind;
}

/** The kind an LLO API `type` value stands for; an absent or empty `type` is `k8s`, as in llo-api. */
export function kindOfLloType(type: string | undefined): AerosKind | undefined {
  const t = (type ?? '').trim().toLowerCase() || 'k8s';
  return Object.values(AEROS_KIND_INFO).find((i) => i.lloTypes.includes(t))?.kind;
}

export { AEROS_API_VERSION };

/** The NGSI-LD Relationship object for a status, e.g. `urn:ngsi-ld:ServiceComponentStatus:Running`. */
export function componentStatusUrn(status: AerosComponentStatus): string {
  return `urn:ngsi-ld:ServiceComponentStatus:${status}`;
}
