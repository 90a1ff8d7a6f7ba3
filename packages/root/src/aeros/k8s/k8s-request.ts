import { ValidationFailedError } from '@canopy/nest-edge';
import { AEROS_KIND_INFO, type AerosKind } from '@canopy/schema';
import { parseDocument } from 'yaml';
import { K8sRequestError } from './k8s-status';

/** The kind a URL's resource segment names; the API server accepts only the plural there. */
export function kindOfPlural(plural: string): AerosKind {
  const info = Object.values(AEROS_KIND_INFO).find((i) => i.plural === plural);
  if (!info) throw new ResourceNotServedError();
  return info.kind;
}

/** A path under `/k8s` that names no resource this surface serves. */
export class ResourceNotServedError extends K8sRequestError {
  constructor() {
    super(404, 'NotFound', 'the server could not find the requested resource');
  }
}

/** Aliases are YAML's billion-laughs vector; a CR needs none, a few are tolerated. */
const MAX_ALIASES = 10;

/**
 * A request body as an object: JSON arrives parsed, YAML (`application/yaml`, server-side apply's
 * `application/apply-patch+yaml`) as text, which must be exactly one document.
 */
export function bodyObject(body: unknown): unknown {
  if (typeof body !== 'string') return body;
  const doc = parseDocument(body, { maxAliasCount: MAX_ALIASES, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ValidationFailedError([{ path: '$', message: `the body is not valid YAML: ${doc.errors[0]!.message}` }]);
  }
  try {
    return doc.toJS({ maxAliasCount: MAX_ALIASES }) as unknown;
  } catch (e) {
    throw new ValidationFailedError([{ path: '$', message: `the body cannot be read: ${(e as Error).message}` }]);
  }
}

export function mediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase();
}

export function isTruthyParam(v: string | undefined): boolean {
  return v === 'true' || v === '1';
}
