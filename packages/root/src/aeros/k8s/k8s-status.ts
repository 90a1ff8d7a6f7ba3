import {
  ConflictError,
  DomainError,
  HTTP_STATUS_OF,
  ForbiddenError,
  MalformedBodyError,
  NotFoundError,
  StaleVersionError,
  TooManyRequestsError,
  UnauthorizedError,
  UpstreamUnavailableError,
  ValidationFailedError,
} from '@canopy/nest-edge';
import { AEROS_GROUP, AEROS_KIND_INFO, kindOfResource } from '@canopy/schema';

/**
 * A refusal that only the Kubernetes surface makes (a patch type, a path, a selector): an HTTP-edge
 * error, so it carries its status and Kubernetes reason rather than a domain code.
 */
export class K8sRequestError extends Error {
  constructor(
    readonly status: 400 | 404 | 405 | 406 | 415,
    readonly reason: 'BadRequest' | 'NotFound' | 'MethodNotAllowed' | 'NotAcceptable' | 'UnsupportedMediaType',
    message: string,
  ) {
    super(message);
    this.name = 'K8sRequestError';
  }
}

/** Kubernetes' `metav1.Status` as kubectl decodes and prints it. */
export interface K8sStatus {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Failure' | 'Success';
  message: string;
  reason: string;
  details?: {
    name?: string;
    group?: string;
    kind?: string;
    causes?: { reason: string; message: string; field: string }[];
  };
  code: number;
}

/** What the failing request was about, to phrase the message the way the API server does. */
export interface StatusSubject {
  /** The resource in the path (plural, singular or short name) when there is one. */
  resource?: string | undefined;
  name?: string | undefined;
}

interface BodyParserError {
  type?: unknown;
  status?: unknown;
  message?: unknown;
}

/** Conflict codes that mean "it exists already" (Kubernetes' AlreadyExists); other 409s are Conflict. */
const EXISTS_CODES: ReadonlySet<string> = new Set(['COMPONENT_EXISTS', 'RECORD_EXISTS', 'CONFLICT']);

const REASONS: Record<number, string> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  406: 'NotAcceptable',
  409: 'Conflict',
  413: 'RequestEntityTooLarge',
  415: 'UnsupportedMediaType',
  422: 'Invalid',
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'ServiceUnavailable',
};

function failure(code: number, message: string, details?: K8sStatus['details'], reason?: string): K8sStatus {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason: reason ?? REASONS[code] ?? 'Unknown',
    ...(details ? { details } : {}),
    code,
  };
}

/**
 * Maps an error to the Status the Kubernetes API server would send, with messages phrased like
 * apimachinery's (`servicecomponentdockers.llo.aeros-project.eu "x" not found`, `... is invalid:
 * spec.image: ...`) because kubectl prints them verbatim. Anything unexpected is a 500.
 */
export function toK8sStatus(error: unknown, subject: StatusSubject = {}): K8sStatus {
  const kind = subject.resource ? kindOfResource(subject.resource) : undefined;
  const info = kind ? AEROS_KIND_INFO[kind] : undefined;
  const qualifiedResource = info ? `${info.plural}.${AEROS_GROUP}` : undefined;
  const qualifiedKind = info ? `${info.kind}.${AEROS_GROUP}` : undefined;
  const name = subject.name;
  const on = (what: string | undefined) => (what && name ? `${what} "${name}"` : undefined);
  const resourceDetails = info ? { ...(name ? { name } : {}), group: AEROS_GROUP, kind: info.plural } : undefined;

  if (error instanceof ValidationFailedError) {
    const causes = error.errors.map((e) => ({ reason: 'FieldValueInvalid', message: e.message, field: e.path }));
    const list = causes.map((c) => `${c.field}: ${c.message}`);
    const reasons = list.length === 0 ? error.message : list.length === 1 ? list[0]! : `[${list.join(', ')}]`;
    const prefix = on(qualifiedKind) ?? 'the request';
    return failure(422, `${prefix} is invalid: ${reasons}`, {
      ...(name ? { name } : {}),
      ...(info ? { group: AEROS_GROUP, kind: info.kind } : {}),
      causes,
    });
  }
  if (error instanceof MalformedBodyError) {
    return failure(400, error.message, {
      causes: error.errors.map((e) => ({ reason: 'FieldValueInvalid', message: e.message, field: e.path })),
    });
  }
  if (error instanceof NotFoundError) {
    const subjectText = on(qualifiedResource);
    return failure(404, subjectText ? `${subjectText} not found` : error.message, resourceDetails);
  }
  if (error instanceof StaleVersionError) {
    const subjectText = on(qualifiedResource);
    return failure(
      409,
      subjectText
        ? `Operation cannot be fulfilled on ${subjectText}: the object has been modified; please apply your changes to the latest version and try again`
        : error.message,
      resourceDetails,
      'Conflict',
    );
  }
  if (error instanceof ConflictError && EXISTS_CODES.has(error.code)) {
    const subjectText = on(qualifiedResource);
    return failure(
      409,
      subjectText ? `${subjectText} already exists` : error.message,
      resourceDetails,
      'AlreadyExists',
    );
  }
  if (error instanceof UnauthorizedError) {
    return failure(401, error.message);
  }
  if (error instanceof ForbiddenError) {
    return failure(403, error.message, resourceDetails);
  }
  if (error instanceof TooManyRequestsError) {
    return failure(429, error.message);
  }
  if (error instanceof UpstreamUnavailableError) {
    return failure(503, error.message);
  }
  if (error instanceof K8sRequestError) {
    return failure(error.status, error.message, undefined, error.reason);
  }
  if (error instanceof DomainError) {
    return failure(HTTP_STATUS_OF[error.code], error.message);
  }
  // Errors of express' body parser (too large, bad charset) and of Nest's router (no such route).
  const bp = error as BodyParserError | null;
  if (bp && typeof bp.status === 'number' && bp.status >= 400 && bp.status < 500) {
    return failure(bp.status, typeof bp.message === 'string' ? bp.message : 'bad request');
  }
  const httpStatus = (error as { getStatus?: () => unknown } | null)?.getStatus?.();
  if (typeof httpStatus === 'number' && httpStatus >= 400 && httpStatus < 500) {
    return failure(httpStatus, httpStatus === 404 ? 'the server could not find the requested resource' : 'bad request');
  }
  return failure(500, 'an internal error occurred');
}

export function successStatus(details: K8sStatus['details']): object {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details };
}
