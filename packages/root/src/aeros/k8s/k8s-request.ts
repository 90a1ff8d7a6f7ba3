import { ValidationFailedError } from '@canopy/nest-edge';
import { AEROS_API_VERSION, AEROS_KIND_INFO, parseYamlDocument, type AerosKind } from '@canopy/schema';
import { K8sRequestError } from './k8s-status';

/** The kind a URL's resource segment names; the API server accepts only the plural there. */
export function kindOfPlural(plural: string): AerosKind {
  const info = Object.values(AEROS_KIND_INFO).find((i) => i.plural === plural);
  if (!info) {
    throw new ResourceNotServedError();
  }
  return info.kind;
}

/** A path under `/k8s` that names no resource this surface serves. */
export class ResourceNotServedError extends K8sRequestError {
  constructor() {
    super(404, 'NotFound', 'the server could not find the requested resource');
  }
}

/**
 * A request body as an object: JSON arrives parsed, YAML (`application/yaml`, server-side apply's
 * `application/apply-patch+yaml`) as text, which must hold exactly one document (aliases limited).
 */
export function bodyObject(body: unknown): unknown {
  if (typeof body !== 'string') {
    return body;
  }
  const parsed = parseYamlDocument(body);
  if (!parsed.ok) {
    throw new ValidationFailedError(parsed.errors);
  }
  return parsed.value;
}

export function mediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase();
}

export function isTruthyParam(v: string | undefined): boolean {
  return v === 'true' || v === '1';
}

/** The query parameters kubectl sends on reads (`limit` and `continue` are accepted and ignored: one page). */
export interface ReadQuery {
  watch?: string;
  resourceVersion?: string;
  fieldSelector?: string;
  labelSelector?: string;
  timeoutSeconds?: string;
  includeObject?: string;
}

export interface WriteQuery {
  dryRun?: string;
}

/**
 * A list's resourceVersion is the time it was read (see `listVersion`): a watch that names one
 * replays what changed since, as kubectl's list-then-watch expects. Object versions are small
 * numbers and name no time.
 */
export function listedAt(resourceVersion: string | undefined): number | undefined {
  const n = Number(resourceVersion);
  return Number.isInteger(n) && n >= 1e12 ? n : undefined;
}

export function refuseDryRun(query: WriteQuery): void {
  if (query.dryRun) {
    throw new K8sRequestError(400, 'BadRequest', 'dry run is not supported by this server');
  }
}

/**
 * What the API server checks before anything else: the body is an object of the kind and group the
 * path names, in the path's namespace, with the path's name. Field-level validation is the port's.
 */
export function checkObject(body: unknown, kind: AerosKind, namespace: string, name?: string): void {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ValidationFailedError([{ path: '$', message: 'the body must be an object' }]);
  }
  const o = body as { apiVersion?: unknown; kind?: unknown; metadata?: { namespace?: unknown; name?: unknown } };
  if (o.apiVersion !== undefined && o.apiVersion !== AEROS_API_VERSION) {
    throw new K8sRequestError(
      400,
      'BadRequest',
      `the API version in the data (${JSON.stringify(o.apiVersion)}) does not match the expected API version (${AEROS_API_VERSION})`,
    );
  }
  if (o.kind !== undefined && o.kind !== kind) {
    throw new K8sRequestError(
      400,
      'BadRequest',
      `the kind in the data (${JSON.stringify(o.kind)}) does not match the expected kind (${kind})`,
    );
  }
  const ns = o.metadata?.namespace;
  if (ns !== undefined && ns !== '' && ns !== namespace) {
    throw new K8sRequestError(
      400,
      'BadRequest',
      'the namespace of the provided object does not match the namespace sent on the request',
    );
  }
  if (name !== undefined && o.metadata?.name !== undefined && o.metadata.name !== name) {
    throw new K8sRequestError(400, 'BadRequest', 'the name of the object does not match the name on the URL');
  }
}
