import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { Logger } from 'pino';
import { REGISTRATION_ATTEMPT_ID, isValidNodeId } from '@canopy/schema/lite';
import type { NodeRegisterRequest, NodeRegisterResponse } from '@canopy/schema';
import { RegistrationRejectedError } from '../errors';
import { registerWithCluster } from './cluster-registration.client';

/** `<data dir>/node-credential.json` (mode 0600): who this node is at its cluster. */
export const CREDENTIAL_FILE = 'node-credential.json';

export interface NodeCredential {
  nodeId: string;
  nodeName: string;
  /** The bearer token that re-registers this node's name (the join token only bootstraps). */
  credential: string;
}

export async function loadNodeCredential(dataDir: string): Promise<NodeCredential | undefined> {
  let text: string;
  try {
    text = await fs.readFile(path.join(dataDir, CREDENTIAL_FILE), 'utf8');
  } catch {
    return undefined;
  }
  try {
    const v = JSON.parse(text) as Partial<NodeCredential>;
    const valid =
      typeof v.nodeId === 'string' &&
      isValidNodeId(v.nodeId) &&
      typeof v.nodeName === 'string' &&
      typeof v.credential === 'string' &&
      v.credential !== '';
    return valid ? (v as NodeCredential) : undefined;
  } catch {
    return undefined;
  }
}

/** Written beside, then renamed over, so a crash never leaves half a credential. */
export async function saveNodeCredential(dataDir: string, value: NodeCredential): Promise<void> {
  await writePrivateJson(path.join(dataDir, CREDENTIAL_FILE), value);
}

async function writePrivateJson(file: string, value: object): Promise<void> {
  const tmp = `${file}.tmp`;
  await fs.writeFile(tmp, `${JSON.stringify(value)}\n`, { mode: 0o600 });
  await fs.chmod(tmp, 0o600);
  await fs.rename(tmp, file);
}

/**
 * `<data dir>/registration-attempt.json` (mode 0600), only while a join-token registration has no
 * credential saved yet: the random id sent with every try of it. When an answer is lost (a timeout
 * under load, a crash before the credential was saved), the cluster has given the name a credential
 * this node never got; a retry with the same attempt id gets a fresh one instead of 409
 * NODE_NAME_TAKEN, and no one without the id can do the same.
 */
export const ATTEMPT_FILE = 'registration-attempt.json';

interface PendingAttempt {
  nodeName: string;
  attemptId: string;
}

/** The pending attempt for this name, or a new one, saved before it is first sent. */
async function attemptFor(dataDir: string, nodeName: string): Promise<string> {
  const file = path.join(dataDir, ATTEMPT_FILE);
  try {
    const v = JSON.parse(await fs.readFile(file, 'utf8')) as Partial<PendingAttempt>;
    if (v.nodeName === nodeName && typeof v.attemptId === 'string' && REGISTRATION_ATTEMPT_ID.test(v.attemptId)) {
      return v.attemptId;
    }
  } catch {
    // none yet, or unreadable: a new attempt
  }
  const attemptId = randomBytes(24).toString('base64url');
  await writePrivateJson(file, { nodeName, attemptId } satisfies PendingAttempt);
  return attemptId;
}

export interface IdentityOptions {
  clusterUrl: string;
  /** The join token (NODE_TOKEN): used only when this node has no credential the cluster knows. */
  joinToken: string;
  dataDir: string;
}

/**
 * Registers this node: with its own credential when it has one for this name, else (or when the
 * cluster no longer knows that credential: 401) with the join token, offering its previous id so
 * a cluster that lost its registry gives the same one back. A credential in the reply is saved.
 */
export async function registerAsThisNode(
  options: IdentityOptions,
  machine: NodeRegisterRequest,
  log: Logger,
  signal: AbortSignal,
): Promise<NodeRegisterResponse> {
  const saved = await loadNodeCredential(options.dataDir);
  const mine = saved?.nodeName === machine.name ? saved : undefined;
  const request: NodeRegisterRequest = mine === undefined ? machine : { ...machine, previousId: mine.nodeId };
  let reply: NodeRegisterResponse | undefined;
  if (mine !== undefined) {
    try {
      reply = await registerWithCluster(
        { clusterUrl: options.clusterUrl, nodeToken: mine.credential },
        request,
        log,
        signal,
      );
    } catch (err) {
      if (!(err instanceof RegistrationRejectedError && err.httpStatus === 401)) {
        throw err;
      }
      log.warn(
        { nodeId: mine.nodeId },
        'the cluster does not know this node’s credential; registering with the join token',
      );
    }
  }
  if (reply === undefined) {
    const attemptId = await attemptFor(options.dataDir, machine.name);
    reply = await registerWithCluster(
      { clusterUrl: options.clusterUrl, nodeToken: options.joinToken },
      { ...request, attemptId },
      log,
      signal,
    );
  }
  if (reply.credential !== undefined) {
    await saveNodeCredential(options.dataDir, {
      nodeId: reply.id,
      nodeName: machine.name,
      credential: reply.credential,
    });
    await fs.rm(path.join(options.dataDir, ATTEMPT_FILE), { force: true });
  }
  return reply;
}
