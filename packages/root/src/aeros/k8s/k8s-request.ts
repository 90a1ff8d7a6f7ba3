import { ValidationFailedError } from '@canopy/nest-edge';
import { AEROS_KIND_INFO, parseYamlDocument, type AerosKind } from '@canopy/schema';
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
