import { ConfigError } from '@canopy/schema';
import type { RootSettings } from './root-settings';

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
  /** NGSI_LD_UPSERT_IES: also upsert the InfrastructureElement entities. */
  upsertInfrastructureElements: boolean;
  /** NGSI_LD_IE_INTERVAL_MS: at most one upsert per IE in this period. */
  ieIntervalMs: number;
  /** NGSI_LD_RETRY_BASE_MS and NGSI_LD_RETRY_MAX_MS: retry delay doubles from base up to max. */
  retryBaseMs: number;
  retryMaxMs: number;
  /** NGSI_LD_TIMEOUT_MS: a request that takes longer is retried. */
  requestTimeoutMs: number;
}

type NgsiLdSettings = Pick<
  RootSettings,
  | 'cbUrl'
  | 'cbPort'
  | 'cbToken'
  | 'ngsiLdContext'
  | 'ngsiLdUpsertIes'
  | 'ngsiLdIeIntervalMs'
  | 'ngsiLdRetryBaseMs'
  | 'ngsiLdRetryMaxMs'
  | 'ngsiLdTimeoutMs'
>;

/** Orion-LD's default port, and what aerOS's HLO charts set CB_PORT to. */
const DEFAULT_CB_PORT = 1026;

/**
 * aerOS's HLO builds `f"{CB_URL}:{CB_PORT}/ngsi-ld/v1/..."`: CB_URL is a scheme and host, CB_PORT
 * the port. We accept that, and also a CB_URL that carries its own port (or no scheme: http is
 * assumed), as long as it does not contradict CB_PORT. Off (`null`) without CB_URL.
 */
export function ngsiLdConfigOf(s: NgsiLdSettings): NgsiLdConfig | null {
  const rawUrl = s.cbUrl;
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
  if (explicitPort !== undefined && s.cbPort !== undefined && Number(explicitPort) !== s.cbPort) {
    throw new ConfigError('CB_PORT', `is ${s.cbPort} but CB_URL names port ${explicitPort}`);
  }
  url.port = String(s.cbPort ?? (explicitPort === undefined ? DEFAULT_CB_PORT : Number(explicitPort)));
  if (s.ngsiLdRetryMaxMs < s.ngsiLdRetryBaseMs) {
    throw new ConfigError('NGSI_LD_RETRY_MAX_MS', `must be at least NGSI_LD_RETRY_BASE_MS (${s.ngsiLdRetryBaseMs})`);
  }
  return {
    brokerUrl: `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, '')}`,
    token: s.cbToken ?? null,
    contextUrl: s.ngsiLdContext ?? null,
    upsertInfrastructureElements: s.ngsiLdUpsertIes,
    ieIntervalMs: s.ngsiLdIeIntervalMs,
    retryBaseMs: s.ngsiLdRetryBaseMs,
    retryMaxMs: s.ngsiLdRetryMaxMs,
    requestTimeoutMs: s.ngsiLdTimeoutMs,
  };
}
