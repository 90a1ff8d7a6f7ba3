import { looksLikeApiToken } from '../api-tokens/api-token.format';
import type { TrustedNetworks } from './trusted-networks';

/** What a request presents, decided from its header and peer address alone (no store, no crypto). */
export type Credential =
  | { kind: 'jwt'; token: string }
  /** `allowedHere` is false off the aerOS routes: the token is still verified, then refused with 403. */
  | { kind: 'api-token'; token: string; allowedHere: boolean }
  | { kind: 'trusted-network'; address: string }
  | { kind: 'none'; reason: string };

export interface RequestFacts {
  /** The Authorization header as received; undefined when the request has none. */
  authorization: string | undefined;
  /** The socket's peer address (never X-Forwarded-For, which the client writes itself). */
  remoteAddress: string | undefined;
  /** Whether the handler or its controller is marked @AerosApi(). */
  aerosRoute: boolean;
}

/**
 * The guard's decision table. Only a request with *no* Authorization header can fall back to the
 * trusted network, so a bad or foreign credential is refused from a trusted network too.
 */
export function credentialOf(req: RequestFacts, trusted: TrustedNetworks): Credential {
  const header = req.authorization;
  if (header === undefined) {
    if (req.aerosRoute && req.remoteAddress !== undefined && trusted.contains(req.remoteAddress)) {
      return { kind: 'trusted-network', address: req.remoteAddress };
    }
    return { kind: 'none', reason: 'missing bearer token' };
  }
  if (!header.startsWith('Bearer ')) {
    return { kind: 'none', reason: 'missing bearer token' };
  }
  const token = header.slice('Bearer '.length).trim();
  if (token === '') {
    return { kind: 'none', reason: 'missing bearer token' };
  }
  return looksLikeApiToken(token) ? { kind: 'api-token', token, allowedHere: req.aerosRoute } : { kind: 'jwt', token };
}
