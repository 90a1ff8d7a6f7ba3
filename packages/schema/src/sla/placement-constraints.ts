import { registerDecorator, type ValidationArguments, type ValidationOptions } from 'class-validator';
import type { SlaConstraint } from './sla.dto';

/** A point on Earth, in degrees. */
export interface LatLong {
  lat: number;
  long: number;
}

/** A circle on Earth: `radiusKm` around a point. */
export interface GeoArea extends LatLong {
  radiusKm: number;
}

/**
 * The placement filters an instance carries, read from its SLA. Shared by the root (which applies
 * the cluster-level ones) and the cluster (which applies the node-level ones), so both tiers read
 * the same SLA the same way.
 */
export interface PlacementFilters {
  /** `direct` constraints' `cluster` values. */
  clusters?: string[];
  /** `direct` constraints' `;`-separated `node` values (names or ids). */
  nodes?: string[];
  /** Required CPU architecture (`amd64`, `arm64`, ...). */
  arch?: string;
  /** Node labels that must all be present with these values. */
  labels?: Record<string, string>;
  /** `geo` constraint: the target must lie in this circle. */
  near?: GeoArea;
}

/** The label aerOS's real-time requirement (`realtime: true`) asks of a node. */
export const REALTIME_LABEL = { key: 'realtime', value: 'true' } as const;

const NUMBER = String.raw`\s*[-+]?(?:\d+(?:\.\d*)?|\.\d+)\s*`;
const LAT_LONG = new RegExp(`^${NUMBER},${NUMBER}$`);
const LAT_LONG_RADIUS = new RegExp(`^${NUMBER},${NUMBER},${NUMBER}$`);

function inRange(lat: number, long: number): boolean {
  return lat >= -90 && lat <= 90 && long >= -180 && long <= 180;
}

/**
 * `"lat,long"` in degrees, or `undefined` when the text is not that (a cluster's location may also
 * be a place name, which has no coordinates).
 */
export function parseLatLong(raw: string | undefined): LatLong | undefined {
  if (raw === undefined || !LAT_LONG.test(raw)) {
    return undefined;
  }
  const [lat, long] = raw.split(',').map(Number) as [number, number];
  return inRange(lat, long) ? { lat, long } : undefined;
}

export type GeoAreaResult = { ok: true; area: GeoArea } | { ok: false; message: string };

/**
 * The circle a `geo` constraint names. Two spellings are accepted: Canopy's
 * `location: "lat,long,radius_km"`, and Oakestra's `location: "lat,long"` with the radius in
 * `threshold` (km). A three-part location wins over `threshold`.
 */
export function parseGeoArea(location: string, threshold?: number): GeoAreaResult {
  let lat: number;
  let long: number;
  let radiusKm: number;
  if (LAT_LONG_RADIUS.test(location)) {
    [lat, long, radiusKm] = location.split(',').map(Number) as [number, number, number];
  } else if (LAT_LONG.test(location)) {
    if (threshold === undefined) {
      return {
        ok: false,
        message: 'geo location "lat,long" needs a radius: write "lat,long,radius_km" or set threshold (km)',
      };
    }
    [lat, long] = location.split(',').map(Number) as [number, number];
    radiusKm = threshold;
  } else {
    return { ok: false, message: 'geo location must be "lat,long,radius_km" (degrees, degrees, km)' };
  }
  if (!inRange(lat, long)) {
    return { ok: false, message: 'geo location must have latitude in -90..90 and longitude in -180..180' };
  }
  if (!(radiusKm > 0) || !Number.isFinite(radiusKm)) {
    return { ok: false, message: 'geo radius must be a positive number of km' };
  }
  return { ok: true, area: { lat, long, radiusKm } };
}

function constraintType(c: Pick<SlaConstraint, 'type'>): string {
  return c.type.trim().toLowerCase();
}

/** `direct` node lists are `;`-separated; blanks around names and empty entries are ignored. */
function splitList(raw: string): string[] {
  return raw
    .split(';')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/**
 * Reads the placement filters from an SLA's constraints plus the microservice-level fields
 * (`arch`, node labels). Constraint types: `direct` (`cluster` and/or `node`), `geo` (`location`,
 * optional `threshold`), `label` (`key`, `value`), `arch` (`value`); others (Oakestra's `latency`,
 * ...) are not placement filters here and are ignored. Several `direct` constraints add up; when
 * several name an arch or a geo area, the first wins (validation keeps their fields well-formed).
 */
export function placementFiltersOf(input: {
  constraints?: readonly SlaConstraint[] | undefined;
  arch?: string | undefined;
  nodeLabels?: Readonly<Record<string, string>> | undefined;
}): PlacementFilters {
  const clusters: string[] = [];
  const nodes: string[] = [];
  let arch = input.arch;
  const labels: Record<string, string> = { ...(input.nodeLabels ?? {}) };
  let near: GeoArea | undefined;
  for (const c of input.constraints ?? []) {
    switch (constraintType(c)) {
      case 'direct':
        if (c.cluster !== undefined) {
          clusters.push(...splitList(c.cluster));
        }
        if (c.node !== undefined) {
          nodes.push(...splitList(c.node));
        }
        break;
      case 'geo':
        if (near === undefined && c.location !== undefined) {
          const parsed = parseGeoArea(c.location, c.threshold);
          if (parsed.ok) {
            near = parsed.area;
          }
        }
        break;
      case 'label':
        if (c.key !== undefined && c.value !== undefined) {
          labels[c.key] = c.value;
        }
        break;
      case 'arch':
        arch ??= c.value;
        break;
      default:
        break;
    }
  }
  const filters: PlacementFilters = {};
  if (clusters.length > 0) {
    filters.clusters = [...new Set(clusters)];
  }
  if (nodes.length > 0) {
    filters.nodes = [...new Set(nodes)];
  }
  if (arch !== undefined && arch !== '') {
    filters.arch = arch;
  }
  if (Object.keys(labels).length > 0) {
    filters.labels = labels;
  }
  if (near !== undefined) {
    filters.near = near;
  }
  return filters;
}

/** The node labels a microservice asks for: `node_labels`, plus `realtime=true` for aerOS's real-time flag. */
export function requiredNodeLabels(ms: {
  node_labels?: Record<string, string> | undefined;
  realtime?: boolean | undefined;
}): Record<string, string> | undefined {
  const labels: Record<string, string> = { ...(ms.node_labels ?? {}) };
  if (ms.realtime === true) {
    labels[REALTIME_LABEL.key] = REALTIME_LABEL.value;
  }
  return Object.keys(labels).length > 0 ? labels : undefined;
}

// ---------------------------------------------------------------------------------------------
// Validation decorators for the fields above.

/** What node labels look like (the same rule the node engine applies to `NODE_LABELS`). */
export const LABEL_KEY_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_./-]{0,62}$/;

/** A plain object of label key → string value, keys as {@link LABEL_KEY_PATTERN}, at most 64 entries. */
export function IsLabelMap(options?: ValidationOptions): PropertyDecorator {
  return (object: object, propertyName: string | symbol) => {
    registerDecorator({
      name: 'isLabelMap',
      target: object.constructor,
      propertyName: String(propertyName),
      ...(options === undefined ? {} : { options }),
      validator: {
        validate: (value: unknown) => labelMapProblem(value) === undefined,
        defaultMessage: (args?: ValidationArguments) =>
          `${args?.property ?? 'labels'} ${labelMapProblem(args?.value) ?? 'is invalid'}`,
      },
    });
  };
}

function labelMapProblem(value: unknown): string | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return 'must be an object of key: "value"';
  }
  const entries = Object.entries(value);
  if (entries.length > 64) {
    return 'must have at most 64 labels';
  }
  for (const [k, v] of entries) {
    if (!LABEL_KEY_PATTERN.test(k)) {
      return `key "${k}" must be letters, digits and _ . / - (max 63)`;
    }
    if (typeof v !== 'string' || v.length > 256) {
      return `value of "${k}" must be a string (max 256)`;
    }
  }
  return undefined;
}

/**
 * For a {@link SlaConstraint} field that some constraint types require: required (a non-empty
 * string, and `check` passes) when the constraint's type is one of `types`, otherwise optional
 * but still a string.
 */
export function IsConstraintField(
  types: readonly string[],
  check?: (value: string, constraint: SlaConstraint) => string | undefined,
  options?: ValidationOptions,
): PropertyDecorator {
  return (object: object, propertyName: string | symbol) => {
    const property = String(propertyName);
    const problem = (value: unknown, constraint: SlaConstraint): string | undefined => {
      const type = typeof constraint.type === 'string' ? constraintType(constraint) : '';
      const required = types.includes(type);
      if (value === undefined || value === null) {
        return required ? `is required for a "${type}" constraint` : undefined;
      }
      if (typeof value !== 'string') {
        return 'must be a string';
      }
      if (!required) {
        return undefined;
      }
      if (value.trim() === '') {
        return `must not be empty in a "${type}" constraint`;
      }
      return check?.(value, constraint);
    };
    registerDecorator({
      name: 'isConstraintField',
      target: object.constructor,
      propertyName: property,
      ...(options === undefined ? {} : { options }),
      validator: {
        validate: (value: unknown, args?: ValidationArguments) =>
          problem(value, args?.object as SlaConstraint) === undefined,
        defaultMessage: (args?: ValidationArguments) =>
          `${property} ${problem(args?.value, args?.object as SlaConstraint) ?? 'is invalid'}`,
      },
    });
  };
}

/** The `check` for a geo constraint's `location`. */
export function geoLocationProblem(location: string, constraint: SlaConstraint): string | undefined {
  const parsed = parseGeoArea(location, constraint.threshold);
  return parsed.ok ? undefined : `is invalid: ${parsed.message}`;
}
