import type { Readable } from 'node:stream';
import type Docker from 'dockerode';
import { ContainerRuntimeError } from '../errors';
import { describePullFailure } from '../policy/registry-policy';
import type { RegistryAuth } from './container-runtime.port';
import { toRuntimeError, withDefaultTag, wrap } from './docker-wire';
import { PullProgressTracker, type PullEvent } from './pull-progress';

/**
 * Pulls an image (with the registry login, if any), reporting the download's progress in percent.
 * Resolves when Docker has the image; a failure says why in our words (see `describePullFailure`).
 */
export async function pullImage(
  docker: Docker,
  ref: string,
  auth?: RegistryAuth,
  onProgress?: (percent: number) => void,
): Promise<void> {
  const options = auth === undefined ? {} : { authconfig: { ...auth } };
  let stream: Readable;
  try {
    stream = await wrap(() => docker.pull(withDefaultTag(ref), options) as Promise<Readable>);
  } catch (err) {
    throw pullError(err);
  }
  const progress = new PullProgressTracker();
  await new Promise<void>((resolve, reject) => {
    // Docker answers 200 and then reports registry failures inside the progress stream, so the
    // last `error` line is the verdict, not the HTTP status.
    let streamError: string | undefined;
    docker.modem.followProgress(
      stream,
      (err: Error | null) => {
        if (err) {
          reject(pullError(err));
        } else if (streamError !== undefined) {
          reject(new ContainerRuntimeError(describePullFailure(streamError)));
        } else {
          resolve();
        }
      },
      (event: PullEvent) => {
        if (event.error !== undefined) {
          streamError = event.errorDetail?.message ?? event.error;
        }
        const percent = progress.update(event);
        if (percent !== undefined) {
          onProgress?.(percent);
        }
      },
    );
  });
}

/** A pull failure in our words (see `describePullFailure`): the registry's answer is not repeated. */
function pullError(err: unknown): ContainerRuntimeError {
  const raw = toRuntimeError(err);
  return new ContainerRuntimeError(describePullFailure(raw.message), raw.httpStatus, { cause: err });
}
