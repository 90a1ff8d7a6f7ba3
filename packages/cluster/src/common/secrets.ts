import { createHash } from 'node:crypto';

/** SHA-256 hex. Enough for high-entropy random secrets (no dictionary to guess from). */
export function sha256(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}

/** The one secret compare lives in the shared edge; re-exported for the cluster's own callers. */
export { constantTimeEqual } from '@canopy/nest-edge';
