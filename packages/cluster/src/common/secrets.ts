import { createHash, timingSafeEqual } from 'node:crypto';

/** SHA-256 hex. Enough for high-entropy random secrets (no dictionary to guess from). */
export function sha256(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}

/** Constant-time string comparison; hashing first makes the lengths equal without leaking them. */
export function constantTimeEqual(a: string, b: string): boolean {
  return timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());
}
