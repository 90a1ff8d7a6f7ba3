import { randomBytes } from 'node:crypto';
import { sha256Hex } from '@canopy/nest-edge';

/** Recognisable in a config file or a leak scanner, and tells the guard which verifier to use. */
export const API_TOKEN_PREFIX = 'canopy_at_';

/** `canopy_at_` + 16 hex id + `_` + 43 base64url characters (32 random bytes). */
const FORMAT = /^canopy_at_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;

export interface MintedToken {
  id: string;
  /** The whole token, shown to the admin once. */
  token: string;
  /** What is stored: SHA-256 hex of the secret part (a 256-bit random secret needs no slow hash). */
  secretHash: string;
}

/**
 * The id is part of the token so the verifier looks the record up by primary key and then compares
 * the secret's hash in constant time, instead of looking a secret up in an index.
 */
export function mintApiToken(): MintedToken {
  const id = randomBytes(8).toString('hex');
  const secret = randomBytes(32).toString('base64url');
  return { id, token: `${API_TOKEN_PREFIX}${id}_${secret}`, secretHash: sha256Hex(secret) };
}

export function looksLikeApiToken(token: string): boolean {
  return token.startsWith(API_TOKEN_PREFIX);
}

/** Splits a token into its record id and secret; undefined when it is not well formed. */
export function parseApiToken(token: string): { id: string; secret: string } | undefined {
  const m = FORMAT.exec(token);
  return m?.[1] !== undefined && m[2] !== undefined ? { id: m[1], secret: m[2] } : undefined;
}
