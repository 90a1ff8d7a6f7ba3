import type { ErrorCode } from '@canopy/schema';

// The domain errors live with the domain (`@canopy/schema`); they are re-exported here only so the
// edge's own users (guards, controllers) find them next to the filter that maps them.
export {
  ConfigError,
  ConflictError,
  DomainError,
  ForbiddenError,
  MalformedBodyError,
  NotFoundError,
  StaleVersionError,
  TooManyRequestsError,
  UnauthorizedError,
  UpstreamUnavailableError,
  ValidationFailedError,
} from '@canopy/schema';

/** The one code → HTTP status map. A code missing here is a compile error, not a silent 500. */
export const HTTP_STATUS_OF: Readonly<Record<ErrorCode, number>> = {
  VALIDATION_FAILED: 400,
  MALFORMED_JSON: 400,
  NOT_FOUND: 404,
  CONFLICT: 409,
  RECORD_EXISTS: 409,
  APPLICATION_NAME_TAKEN: 409,
  SERVICE_NAME_TAKEN: 409,
  REPLICA_LIMIT_REACHED: 409,
  INSTANCE_NOT_STARTED: 409,
  USER_NAME_TAKEN: 409,
  USER_OWNS_APPLICATIONS: 409,
  ORGANIZATION_NAME_TAKEN: 409,
  ORGANIZATION_HAS_MEMBERS: 409,
  COMPONENT_EXISTS: 409,
  IE_ID_TAKEN: 409,
  IE_AMBIGUOUS: 409,
  NODE_NAME_TAKEN: 409,
  NODE_CONNECTED: 409,
  CLUSTER_NAME_TAKEN: 409,
  CLUSTER_CONNECTED: 409,
  QUOTA_EXCEEDED: 409,
  STALE_VERSION: 409,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  TOO_MANY_REQUESTS: 429,
  UPSTREAM_UNAVAILABLE: 503,
};
