import { ConflictError, ForbiddenError } from '@canopy/nest-edge';
import type { NodeRecord } from '../persistence/cluster.repository';
import type { NodeAuth } from './node-token.guard';

/**
 * Who may register `name`. A node credential registers its own node only. A join token registers
 * a name no node holds; a name with a credential on record needs that credential. A name without
 * one (a node registered before credentials existed, or one the operator reset) takes a join token
 * only while its node is not live (`live`: connected at our broker, or heard from within the
 * liveness window, the only sign with an external broker), so a join token holder cannot race a
 * running node for its id and messages; the engine retries NODE_CONNECTED with backoff.
 * @throws ForbiddenError when the credential belongs to another node.
 * @throws ConflictError NODE_NAME_TAKEN or NODE_CONNECTED (join token for a known name).
 */
export function authorizeRegistration(
  name: string,
  existing: NodeRecord | undefined,
  auth: NodeAuth,
  live: (nodeId: string) => boolean,
): void {
  if (auth.kind === 'node' && auth.nodeId !== existing?.id) {
    throw new ForbiddenError(`a node credential registers its own node only, not ${name}`);
  }
  if (auth.kind !== 'join' || existing === undefined) {
    return;
  }
  if (existing.credentialSha256 !== undefined) {
    const message = `node name ${name} is already registered; registering it again needs that node's credential`;
    throw new ConflictError(message, [{ path: 'name', message }], 'NODE_NAME_TAKEN');
  }
  if (live(existing.id)) {
    const message = `node ${name} has no credential yet and is live; a join token registers it only once it is gone`;
    throw new ConflictError(message, [{ path: 'name', message }], 'NODE_CONNECTED');
  }
}
