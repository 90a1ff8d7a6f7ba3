import type { Clock } from '../../src/common/tokens';
import type { NgsiLdReply, NgsiLdRequest, NgsiLdTransport } from '../../src/aeros/ngsi-ld/ngsi-ld.transport';

/** A clock that moves only when the test says so. */
export class FakeClock implements Clock {
  constructor(private ms = Date.UTC(2026, 0, 1)) {}

  now(): Date {
    return new Date(this.ms);
  }

  advance(ms: number): void {
    this.ms += ms;
  }
}

/** What the scripted broker answers: a status, or `'no-reply'` for a refused/reset connection. */
export type ScriptedAnswer = number | 'no-reply' | 'hang';

/**
 * A transport for the delivery logic's unit tests: records every request and answers from a
 * script (default 204), without a socket. `'hang'` never answers until the request is aborted.
 */
export class ScriptedNgsiLdTransport implements NgsiLdTransport {
  readonly sent: NgsiLdRequest[] = [];
  private readonly waiters: (() => void)[] = [];

  constructor(private readonly answer: (request: NgsiLdRequest, index: number) => ScriptedAnswer = () => 204) {}

  async send(request: NgsiLdRequest, signal: AbortSignal): Promise<NgsiLdReply> {
    const index = this.sent.push(request) - 1;
    for (const w of this.waiters.splice(0)) {
      w();
    }
    const answer = this.answer(request, index);
    if (answer === 'no-reply') {
      throw Object.assign(new Error('fetch failed'), { cause: { code: 'ECONNREFUSED' } });
    }
    if (answer === 'hang') {
      // Never answers; rejects as fetch does when its request is aborted.
      return new Promise<NgsiLdReply>((_, reject) =>
        signal.addEventListener('abort', () => reject(new Error('aborted'))),
      );
    }
    return { status: answer, excerpt: answer >= 400 ? `{"detail":"scripted ${answer}"}` : '' };
  }

  /** Resolves when at least `n` requests were sent. */
  async untilSent(n: number): Promise<void> {
    while (this.sent.length < n) {
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  /** A compact trace: `PATCH <entity> <status>` or `POST create <id>` / `POST upsert <id>`. */
  trace(): string[] {
    return this.sent.map((r) => {
      if (r.method === 'PATCH') {
        const id = decodeURIComponent(/entities\/([^/]+)\/attrs/.exec(r.path)?.[1] ?? '');
        const status = (JSON.parse(r.body) as { serviceComponentStatus: { object: string } }).serviceComponentStatus
          .object;
        return `PATCH ${id} ${status.replace('urn:ngsi-ld:ServiceComponentStatus:', '')}`;
      }
      if (r.path.includes('upsert')) {
        return `POST upsert ${(JSON.parse(r.body) as { id: string }[])[0]?.id ?? ''}`;
      }
      return `POST create ${(JSON.parse(r.body) as { id: string }).id}`;
    });
  }
}
