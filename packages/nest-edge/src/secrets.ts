import { createHash, timingSafeEqual } from 'node:crypto';

/** SHA-256 hex. Enough for high-entropy random secrets (there is no dictionary to guess from). */
export function sha256Hex(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}

/**
 * The one secret comparison: constant time in the content, and hashing both sides first makes the
 * lengths equal without leaking the expected one.
 */
export function constantTimeEqual(a: string, b: string): boolean {
  return timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());
}
