/** The root's user events (`GET /api/events`), as the CLI reads them. */
export interface InstanceEvent {
  type: 'instance';
  service_id: string;
  instance_number: number;
  status: string;
  detail: string;
  node?: string;
  at: string;
}
export interface ServiceEvent {
  type: 'service';
  action: 'created' | 'updated' | 'deleted';
  service_id: string;
  name: string;
  replicas: number;
  at: string;
}
export type CanopyEvent = InstanceEvent | ServiceEvent;

/**
 * Splits a Server-Sent Events byte stream into events. Comment lines (the heartbeats) and fields
 * other than `data` are skipped; `data` lines of one event are joined with newlines (the SSE spec).
 */
export class SseParser {
  private buffer = '';
  private data: string[] = [];

  push(chunk: string): string[] {
    this.buffer += chunk;
    const out: string[] = [];
    let newline: number;
    while ((newline = this.buffer.search(/\r?\n/)) >= 0) {
      const line = this.buffer.slice(0, newline);
      this.buffer = this.buffer.slice(newline + (this.buffer[newline] === '\r' ? 2 : 1));
      if (line === '') {
        if (this.data.length > 0) {
          out.push(this.data.join('\n'));
        }
        this.data = [];
      } else if (line.startsWith('data:')) {
        this.data.push(line.slice(line.startsWith('data: ') ? 6 : 5));
      }
    }
    return out;
  }
}

export interface EventSubscription {
  /** Resolves once the root answered 200, so no event after this point is missed. */
  opened: Promise<void>;
  close(): void;
}

/** Opens the event stream and calls `onEvent` for each event until `close()`. */
export function subscribe(
  server: string,
  token: string,
  serviceId: string | undefined,
  onEvent: (event: CanopyEvent) => void,
  onError: (error: Error) => void,
): EventSubscription {
  const abort = new AbortController();
  const url = new URL('/api/events', server);
  if (serviceId !== undefined) {
    url.searchParams.set('service', serviceId);
  }
  const opened = fetch(url, {
    headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' },
    signal: abort.signal,
  }).then((res) => {
    if (res.status !== 200 || !res.body) {
      throw new Error(`the event stream answered ${res.status}`);
    }
    const parser = new SseParser();
    const decoder = new TextDecoder();
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const pump = async (): Promise<void> => {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) {
          return;
        }
        for (const data of parser.push(decoder.decode(value, { stream: true }))) {
          onEvent(JSON.parse(data) as CanopyEvent);
        }
      }
    };
    pump().catch((error: unknown) => {
      if (!abort.signal.aborted) {
        onError(error as Error);
      }
    });
  });
  return { opened, close: () => abort.abort() };
}
