/**
 * Polls `probe` until it returns a value other than `undefined` or `false`, and resolves with it.
 * A probe that throws is tried again (a server still starting refuses connections); at the deadline
 * the wait fails naming what it waited for and the last error, if any.
 */
export async function waitFor<T>(
  what: string,
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 30_000,
  everyMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) {
        return value;
      }
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) {
      const reason = last instanceof Error ? `: ${last.message}` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${reason}`);
    }
    await sleep(everyMs);
  }
}

/**
 * Waits a fixed time. Only for pacing a test (spacing writes, holding an outage open), never to
 * prove that something did not happen: wait for a later marker event instead.
 */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
