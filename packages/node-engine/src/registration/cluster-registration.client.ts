import * as os from 'node:os';
import { ExponentialBackoff, handleWhen, retry } from 'cockatiel';
import type { Logger } from 'pino';
import { isValidNodeId } from '@canopy/schema/lite';
import type { NodeRegisterRequest, NodeRegisterResponse } from '@canopy/schema';
import { RegistrationRejectedError, RegistrationUnavailableError } from '../errors';
import { postText, type HttpAnswer } from './http-post';

export interface RegistrationTarget {
  clusterUrl: string;
  nodeToken: string;
}

/** Where to dial MQTT after registering: the broker host the cluster names, else the cluster's host. */
export function brokerAddress(
  clusterUrl: string,
  reply: NodeRegisterResponse,
): { host: string; port: number; tls: boolean } {
  return {
    host: reply.MQTT_BROKER_HOST ?? new URL(clusterUrl).hostname,
    port: reply.MQTT_BROKER_PORT,
    tls: reply.MQTT_BROKER_TLS === true,
  };
}

/** Docker's architecture names, which schedulers and image manifests use. */
export function nodeArch(arch: string = os.arch()): string {
  switch (arch) {
    case 'x64':
      return 'amd64';
    case 'ia32':
      return '386';
    default:
      return arch;
  }
}

export function describeThisMachine(
  name: string,
  publicIp: string | undefined,
  labels: Record<string, string> | undefined,
  gpus = 0,
  location?: string,
  ieId?: string,
): NodeRegisterRequest {
  return {
    name,
    arch: nodeArch(),
    cpuCores: Math.max(1, os.cpus().length),
    memoryMb: Math.max(1, Math.floor(os.totalmem() / (1024 * 1024))),
    gpus,
    ...(publicIp === undefined ? {} : { publicIp }),
    ...(labels === undefined ? {} : { labels }),
    ...(location === undefined ? {} : { location }),
    ...(ieId === undefined ? {} : { ieId }),
  };
}

/**
 * `POST /api/node/register`, retried with exponential backoff while the cluster is unreachable or
 * answers 5xx (it may simply not be up yet), 429 or 409 NODE_CONNECTED. Any other 4xx is final: a
 * wrong token does not heal by waiting.
 */
export async function registerWithCluster(
  target: RegistrationTarget,
  request: NodeRegisterRequest,
  log: Logger,
  signal?: AbortSignal,
): Promise<NodeRegisterResponse> {
  const policy = retry(
    handleWhen((err) => err instanceof RegistrationUnavailableError),
    { maxAttempts: Number.POSITIVE_INFINITY, backoff: new ExponentialBackoff({ initialDelay: 250, maxDelay: 10_000 }) },
  );
  policy.onRetry((event) => {
    const reason = 'error' in event ? event.error.message : 'unexpected result';
    log.warn(
      { clusterUrl: target.clusterUrl, attempt: event.attempt, delayMs: Math.round(event.delay), reason },
      'cluster registration failed, retrying',
    );
  });
  return policy.execute(({ signal: attemptSignal }) => registerOnce(target, request, attemptSignal), signal);
}

async function registerOnce(
  target: RegistrationTarget,
  request: NodeRegisterRequest,
  signal: AbortSignal,
): Promise<NodeRegisterResponse> {
  let response: HttpAnswer;
  try {
    response = await postText(
      `${target.clusterUrl}/api/node/register`,
      { 'content-type': 'application/json', authorization: `Bearer ${target.nodeToken}` },
      JSON.stringify(request),
      AbortSignal.any([signal, AbortSignal.timeout(10_000)]),
    );
  } catch (err) {
    if (signal.aborted) {
      throw err;
    }
    const cause = err instanceof Error && err.cause instanceof Error ? err.cause.message : undefined;
    throw new RegistrationUnavailableError(`cluster unreachable: ${cause ?? (err as Error).message}`);
  }
  const text = response.text;
  const code = errorCode(text);
  // 429: the cluster's registration rate limit; waiting is exactly what heals it.
  // 409 NODE_CONNECTED: this name has no credential yet and the cluster still sees its previous
  // connection (this very node before a restart); it registers once that is gone.
  const retryable = response.status === 409 && code === 'NODE_CONNECTED';
  if (response.status >= 500 || response.status === 429 || retryable) {
    throw new RegistrationUnavailableError(`cluster answered ${response.status}: ${text.slice(0, 200)}`);
  }
  if (response.status < 200 || response.status > 299) {
    const hint =
      response.status === 401 || response.status === 403
        ? ' (check NODE_TOKEN against the cluster join token)'
        : response.status === 409 && code === 'NODE_NAME_TAKEN'
          ? ' (the name is registered: restore node-credential.json, or have the operator reset it: DELETE /api/nodes/<name>/credential)'
          : '';
    throw new RegistrationRejectedError(
      response.status,
      `cluster rejected registration with ${response.status}${hint}: ${text.slice(0, 500)}`,
    );
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new RegistrationUnavailableError('cluster answered a registration with a body that is not JSON');
  }
  if (!isRegisterResponse(body)) {
    throw new RegistrationUnavailableError(
      'cluster answered a registration without id, MQTT_BROKER_PORT and mqtt credentials',
    );
  }
  if (!isValidNodeId(body.id)) {
    throw new RegistrationRejectedError(response.status, `cluster assigned an unusable node id "${body.id}"`);
  }
  return body;
}

function isRegisterResponse(body: unknown): body is NodeRegisterResponse {
  if (typeof body !== 'object' || body === null) {
    return false;
  }
  const b = body as Record<string, unknown>;
  const mqttCreds = b.mqtt as Record<string, unknown> | undefined;
  return (
    typeof b.id === 'string' &&
    b.id !== '' &&
    typeof b.MQTT_BROKER_PORT === 'number' &&
    (b.MQTT_BROKER_HOST === undefined || typeof b.MQTT_BROKER_HOST === 'string') &&
    (b.MQTT_BROKER_TLS === undefined || typeof b.MQTT_BROKER_TLS === 'boolean') &&
    typeof mqttCreds === 'object' &&
    mqttCreds !== null &&
    typeof mqttCreds.username === 'string' &&
    typeof mqttCreds.password === 'string'
  );
}

/** The stable `code` of an error answer (`{statusCode, code, message, errors}`), if it has one. */
function errorCode(text: string): string | undefined {
  try {
    const body = JSON.parse(text) as { code?: unknown };
    return typeof body.code === 'string' ? body.code : undefined;
  } catch {
    return undefined;
  }
}
