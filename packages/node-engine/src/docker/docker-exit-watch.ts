import type { Readable } from 'node:stream';
import type Docker from 'dockerode';
import type { ContainerExit, Subscription } from './container-runtime.port';
import { labelFilters, parseDieEvent } from './docker-wire';

const RESUBSCRIBE_DELAY_MS = 1000;

/**
 * Follows Docker's `die` events of the labelled containers. A dropped event stream is opened again
 * after a second, replaying from the moment it dropped (a repeat is harmless: the handler is idempotent).
 */
export function watchDockerExits(
  docker: Docker,
  labels: Record<string, string>,
  onExit: (exit: ContainerExit) => void,
): Subscription {
  let closed = false;
  let stream: Readable | undefined;
  let timer: NodeJS.Timeout | undefined;
  let since: number | undefined;

  const subscribe = (): void => {
    if (closed) {
      return;
    }
    const opts: Docker.GetEventsOptions = {
      filters: { type: ['container'], event: ['die'], label: labelFilters(labels) },
      ...(since === undefined ? {} : { since }),
    };
    docker.getEvents(opts).then(
      (s) => {
        stream = s as Readable;
        if (closed) {
          stream.destroy();
          return;
        }
        let buffer = '';
        stream.on('data', (chunk: Buffer) => {
          buffer += chunk.toString('utf8');
          let newline: number;
          while ((newline = buffer.indexOf('\n')) >= 0) {
            const line = buffer.slice(0, newline).trim();
            buffer = buffer.slice(newline + 1);
            const exit = parseDieEvent(line);
            if (exit !== undefined) {
              onExit(exit);
            }
          }
        });
        const again = (): void => {
          // Replay from the moment the stream dropped; duplicates are harmless, the handler is idempotent.
          since = Math.floor(Date.now() / 1000) - 1;
          scheduleResubscribe();
        };
        stream.once('end', again);
        stream.once('error', again);
      },
      () => {
        scheduleResubscribe();
      },
    );
  };
  const scheduleResubscribe = (): void => {
    if (closed || timer !== undefined) {
      return;
    }
    timer = setTimeout(() => {
      timer = undefined;
      subscribe();
    }, RESUBSCRIBE_DELAY_MS);
  };

  subscribe();
  return {
    close: () => {
      closed = true;
      if (timer !== undefined) {
        clearTimeout(timer);
      }
      stream?.removeAllListeners('end');
      stream?.removeAllListeners('error');
      stream?.on('error', () => undefined);
      stream?.destroy();
    },
  };
}
