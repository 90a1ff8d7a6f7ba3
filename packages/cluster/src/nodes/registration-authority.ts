import { ConflictError, ForbiddenError } from '@canopy/nest-edge';
import { constantTimeEqual } from '../common/secrets';
import type { NodeRecord } from '../persistence/cluster.repository';
import type { NodeAuth } from './node-token.guard';

/**
 * Who may register `name`, and whether the registration gets a fresh credential. A node credential
 * registers its own node only. A join token registers a name no node holds; a name with a
 * credential on record needs that credential, except for a retry of the registration that issued
 * it: the same `attemptId` (`attemptSha256` on record), while the node is not live, means its answer
 * was lost (a timeout under load, a crash before the credential was saved), and the credential is
 * issued again. A name without one (a node registered before credentials existed, or one the
 * operator reset) takes a join token only while its node is not live (`live`: connected at our
 * broker, or heard from within the liveness window, the only sign with an external broker), so a
 * join token holder cannot race a running node for its id and messages; the engine retries
 * NODE_CONNECTED with backoff.
 * @returns true when the registration is to issue the name a (new) credential.
 * @throws ForbiddenError when the credential belongs to another node.
 * @throws ConflictError NODE_NAME_TAKEN or NODE_CONNECTED (join token for a known name).
 */
export function authorizeRegistration(
  name: string,
  existing: NodeRecord | undefined,
  auth: NodeAuth,
  attemptSha256: string | undefined,
  live: (nodeId: string) => boolean,
): boolean {
  if (auth.kind === 'node' && auth.nodeId !== existing?.id) {
    throw new ForbiddenError(`a node credential registers its own node only, not ${name}`);
  }
  if (existing === undefined) {
    return true;
  }
  if (auth.kind !== 'join') {
    return existing.credentialSha256 === undefined;
  }
  const retried =
    attemptSha256 !== undefined &&
    existing.attemptSha256 !== undefined &&
    constantTimeEqual(attemptSha256, existing.attemptSha256);
  if (existing.credentialSha256 !== undefined && !retried) {
    const message = `node name ${name} is already registered; registering it again needs that node's credential`;
    throw new ConflictError(message, [{ path: 'name', message }], 'NODE_NAME_TAKEN');
  }
  if (live(existing.id)) {
    const message = retried
      ? `node ${name} is live; a retried first registration is taken only while it is not`
      : `node ${name} has no credential yet and is live; a join token registers it only once it is gone`;
    throw new ConflictError(message, [{ path: 'name', message }], 'NODE_CONNECTED');
  }
  return true;
}
