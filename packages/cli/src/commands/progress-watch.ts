import type { ApiClient } from '../client/api-client';
import { subscribe, type CanopyEvent } from '../client/event-stream';
import type { Outcome, ProgressTracker } from '../client/progress';
import { CliError, out } from './shared';

// ---- live progress ----

/**
 * Subscribes before acting so no status change is missed, acts, then prints each instance's
 * status changes until the tracker is done. Resolves with the outcome (a timeout fails).
 */
export async function withProgress(
  api: ApiClient,
  serviceId: string,
  timeoutS: number,
  act: () => Promise<ProgressTracker>,
): Promise<Outcome> {
  await api.ensureFresh();
  const pending: CanopyEvent[] = [];
  let tracker: ProgressTracker | undefined;
  let finish: (o: Outcome) => void = () => undefined;
  const finished = new Promise<Outcome>((resolve) => (finish = resolve));
  const feed = (event: CanopyEvent) => {
    if (!tracker) {
      pending.push(event);
      return;
    }
    const { lines, outcome } = tracker.accept(event, Date.now());
    for (const line of lines) {
      out(line);
    }
    if (outcome.done) {
      finish(outcome);
    }
  };
  const stream = subscribe(api.server, api.token, serviceId, feed, (error) =>
    finish({ done: true, ok: false, reason: `the event stream broke: ${error.message}` }),
  );
  const timer = setTimeout(
    () => finish({ done: true, ok: false, reason: `not done after ${timeoutS}s (raise it with --timeout)` }),
    timeoutS * 1000,
  );
  try {
    await stream.opened;
    tracker = await act();
    const early = tracker.outcome();
    if (early.done) {
      finish(early);
    }
    for (const event of pending.splice(0)) {
      feed(event);
    }
    return await finished;
  } finally {
    clearTimeout(timer);
    stream.close();
  }
}

export function exitOn(outcome: Outcome, success: string): void {
  if (outcome.done && outcome.ok) {
    out(success);
    return;
  }
  throw new CliError(outcome.done && !outcome.ok ? outcome.reason : 'interrupted');
}
