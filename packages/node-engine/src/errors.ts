import { ConfigError } from '@canopy/schema/lite';

/** A bad environment variable or setting (shared by every tier): `variable` names it. */
export { ConfigError };

/** Base of every error the node engine raises on purpose; `code` is stable and safe to match on. */
export abstract class NodeEngineError extends Error {
  abstract readonly code: string;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The cluster refused the node token (401/403) or rejected the request; retrying cannot help. */
export class RegistrationRejectedError extends NodeEngineError {
  readonly code = 'NODE_REGISTRATION_REJECTED';
  constructor(
    readonly httpStatus: number,
    message: string,
  ) {
    super(message);
  }
}

/** The cluster is unreachable or answered 5xx / garbage; registration is retried with backoff. */
export class RegistrationUnavailableError extends NodeEngineError {
  readonly code = 'NODE_REGISTRATION_UNAVAILABLE';
}

/** A Docker Engine call failed; `message` carries Docker's (or the registry's) own words. */
export class ContainerRuntimeError extends NodeEngineError {
  readonly code = 'NODE_CONTAINER_RUNTIME';
  constructor(
    message: string,
    readonly httpStatus?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
