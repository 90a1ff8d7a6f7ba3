import { ConfigError } from '@canopy/schema';
import { bool, int, optional } from './env-values';

/** Where and how the root publishes aerOS component statuses (and optionally IEs) over NGSI-LD. */
export interface NgsiLdConfig {
  /**
   * CB_URL + CB_PORT, combined as aerOS's HLO does (`{CB_URL}:{CB_PORT}/ngsi-ld/v1/...`), e.g.
   * `http://orion-ld:1026`; no trailing slash. A path in CB_URL is kept as a prefix.
   */
  brokerUrl: string;
  /** CB_TOKEN: sent as `Authorization: Bearer …`; never logged. */
  token: string | null;
  /** NGSI_LD_CONTEXT: a JSON-LD context URL sent in a `Link` header; `null` uses the core context. */
  contextUrl: string | null;
  /** NGSI_LD_UPSERT_IES, default false: also upsert the InfrastructureElement entities. */
  upsertInfrastructureElements: boolean;
  /** NGSI_LD_IE_INTERVAL_MS, default 15000: at most one upsert per IE in this period. */
  ieIntervalMs: number;
  /** NGSI_LD_RETRY_BASE_MS (500) and NGSI_LD_RETRY_MAX_MS (30000): retry delay doubles from base up to max. */
  retryBaseMs: number;
  retryMaxMs: number;
  /** NGSI_LD_TIMEOUT_MS, default 10000: a request that takes longer is retried. */
  requestTimeoutMs: number;
}

/** Orion-LD's default port, and what aerOS's HLO charts set CB_PORT to. */
const DEFAULT_CB_PORT = 1026;

/**
 * aerOS's HLO builds `f"{CB_URL}:{CB_PORT}/ngsi-ld/v1/..."`: CB_URL is a scheme and host, CB_PORT
 * the port. We accept that, and also a CB_URL that carries its own port (or no scheme: http is
 * assumed), as long as it does not contradict CB_PORT.
 */
export function loadNgsiLdConfig(env: NodeJS.ProcessEnv): NgsiLdConfig | null {
  const rawUrl = optional(env, 'CB_URL');
  const rawPort = optional(env, 'CB_PORT');
  if (rawUrl === undefined) {
    return null;
  }
  const withScheme = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(rawUrl) ? rawUrl : `http://${rawUrl}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new ConfigError('CB_URL', `must be a URL such as http://orion-ld, got "${rawUrl}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError('CB_URL', `must use http or https, got "${rawUrl}"`);
  }
  if (url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '') {
    throw new ConfigError('CB_URL', 'must have no credentials, query or fragment (use CB_TOKEN for a token)');
  }
  // URL drops a port equal to the scheme's default, so read an explicit one from the text itself.
  const authority = withScheme.replace(/^[^:]+:\/\//, '').split('/')[0] ?? '';
  const explicitPort = /:(\d+)$/.exec(authority)?.[1];
  const port = int(env, 'CB_PORT', explicitPort === undefined ? DEFAULT_CB_PORT : Number(explicitPort), 1, 65535);
  if (explicitPort !== undefined && rawPort !== undefined && Number(explicitPort) !== port) {
    throw new ConfigError('CB_PORT', `is ${port} but CB_URL names port ${explicitPort}`);
  }
  url.port = String(port);
  const brokerUrl = `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, '')}`;

  const contextUrl = optional(env, 'NGSI_LD_CONTEXT') ?? null;
  if (contextUrl !== null && !/^https?:\/\/\S+$/.test(contextUrl)) {
    throw new ConfigError('NGSI_LD_CONTEXT', `must be an http(s) URL of a JSON-LD context, got "${contextUrl}"`);
  }
  const token = optional(env, 'CB_TOKEN') ?? null;
  if (token !== null && !/^[\x21-\x7e]+$/.test(token)) {
    throw new ConfigError('CB_TOKEN', 'must be printable ASCII without spaces');
  }
  const retryBaseMs = int(env, 'NGSI_LD_RETRY_BASE_MS', 500, 1, 3_600_000);
  const retryMaxMs = int(env, 'NGSI_LD_RETRY_MAX_MS', 30_000, 1, 3_600_000);
  if (retryMaxMs < retryBaseMs) {
    throw new ConfigError('NGSI_LD_RETRY_MAX_MS', `must be at least NGSI_LD_RETRY_BASE_MS (${retryBaseMs})`);
  }
  return {
    brokerUrl,
    token,
    contextUrl,
    upsertInfrastructureElements: bool(env, 'NGSI_LD_UPSERT_IES', false),
    ieIntervalMs: int(env, 'NGSI_LD_IE_INTERVAL_MS', 15_000, 100, 86_400_000),
    retryBaseMs,
    retryMaxMs,
    requestTimeoutMs: int(env, 'NGSI_LD_TIMEOUT_MS', 10_000, 100, 600_000),
  };
}
