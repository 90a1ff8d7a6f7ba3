import { componentStatusUrn, type AerosComponentStatus, type InfrastructureElement } from '@canopy/schema';

/** NGSI-LD's "no object" value, which aerOS writes into a Relationship it clears (aerOS.md §2.1). */
export const NGSI_LD_NULL = 'urn:ngsi-ld:null';

export interface Relationship {
  type: 'Relationship';
  object: string;
}

export interface Property {
  type: 'Property';
  value: unknown;
}

export interface GeoProperty {
  type: 'GeoProperty';
  value: { type: 'Point'; coordinates: [number, number] };
}

export type Attribute = Relationship | Property | GeoProperty;

/** The body of `PATCH /ngsi-ld/v1/entities/{id}/attrs` for one component status transition. */
export interface ComponentStatusAttrs {
  serviceComponentStatus: Relationship;
  infrastructureElement: Relationship;
}

/** NGSI-LD entity ids are URIs; anything else the broker would refuse with 400 every time. */
export function isEntityId(id: string): boolean {
  return /^[A-Za-z][A-Za-z0-9+.-]*:\S+$/.test(id);
}

/**
 * Which IE a status names. aerOS's HLO sets `infrastructureElement` when the LLO has deployed the
 * component (Running) and clears it to `urn:ngsi-ld:null` once the component is removed (Finished).
 * We follow that and decide the rest the same way: Starting is not yet on an IE (the HLO only
 * writes the IE after allocation succeeds, even when it was pre-selected); Removing and Failed
 * still name the IE the component is (or was last) on, because that is where it is being removed
 * from or where it failed, and the caller passes null when it never got one.
 */
export function infrastructureElementFor(status: AerosComponentStatus, ie: string | null): string {
  switch (status) {
    case 'Starting':
    case 'Finished':
      return NGSI_LD_NULL;
    case 'Running':
    case 'Removing':
    case 'Failed':
      return ie ?? NGSI_LD_NULL;
  }
}

export function componentStatusAttrs(status: AerosComponentStatus, ie: string | null): ComponentStatusAttrs {
  return {
    serviceComponentStatus: { type: 'Relationship', object: componentStatusUrn(status) },
    infrastructureElement: { type: 'Relationship', object: infrastructureElementFor(status, ie) },
  };
}

/**
 * The `POST /ngsi-ld/v1/entities` body for a component the broker does not know (made through the
 * LLO API or kubectl rather than by an HLO). `application/json` bodies carry no `@context`.
 */
export function componentEntity(id: string, attrs: ComponentStatusAttrs): Record<string, unknown> {
  return { id, type: 'ServiceComponent', ...attrs };
}

/** Attributes whose values are ids of other entities or URN enum members: Relationships. */
const RELATIONSHIPS = new Set(['domain', 'cpuArchitecture', 'operatingSystem', 'infrastructureElementStatus']);
/** Canopy's own bookkeeping, not part of aerOS's IE model. */
const NOT_PUBLISHED = new Set(['id', 'type', 'nodeId', 'location']);

/**
 * An IE in NGSI-LD's normalized format, for `entityOperations/upsert`. Normalized rather than
 * `keyValues`, because every NGSI-LD broker accepts it on batch operations (simplified input is a
 * later, optional feature). URN-valued attributes become Relationships, as `serviceComponentStatus`
 * is in aerOS's model; `location` is a GeoProperty; the rest are Properties. In aerOS's simplified
 * queries (`format=simplified`) all of them read back as the plain values.
 */
export function infrastructureElementEntity(ie: InfrastructureElement): Record<string, unknown> {
  const entity: Record<string, unknown> = { id: ie.id, type: 'InfrastructureElement' };
  for (const [name, value] of Object.entries(ie) as [string, unknown][]) {
    if (NOT_PUBLISHED.has(name) || value === undefined) {
      continue;
    }
    if (RELATIONSHIPS.has(name) && typeof value === 'string') {
      entity[name] = { type: 'Relationship', object: value } satisfies Attribute;
    } else {
      entity[name] = { type: 'Property', value } satisfies Attribute;
    }
  }
  if (ie.location) {
    entity['location'] = { type: 'GeoProperty', value: ie.location } satisfies Attribute;
  }
  return entity;
}
