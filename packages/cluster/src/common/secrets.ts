// The one secret comparison lives in @canopy/nest-edge; these names stay for the cluster's callers.
export { constantTimeEqual, sha256Hex as sha256 } from '@canopy/nest-edge';
