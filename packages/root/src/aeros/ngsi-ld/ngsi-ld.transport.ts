import type { NgsiLdConfig } from '../../config/root-config';

export interface NgsiLdRequest {
  method: 'PATCH' | 'POST';
  /** Path and query below the broker URL, starting with `/ngsi-ld/v1/`. */
  path: string;
  body: string;
}

export interface NgsiLdReply {
  status: number;
  /** The first part of the reply body, for logs (NGSI-LD errors are ProblemDetails JSON). */
  excerpt: string;
}

/**
 * The wire to the context broker. It throws when no reply came (refused, reset, timed out or
 * aborted) and returns every reply, whatever its status; the publisher decides what a status means.
 */
export interface NgsiLdTransport {
  send(request: NgsiLdRequest, signal: AbortSignal): Promise<NgsiLdReply>;
}

export const REPLY_EXCERPT_CHARS = 500;

/** Headers Orion-LD (and aerOS's fork of it) expects on every request from an aerOS component. */
export function ngsiLdHeaders(config: NgsiLdConfig): Record<string, string> {
  const headers: Record<string, string> = {
    'Content-Type': 'application/json',
    Accept: 'application/json',
    // aerOS-Orion-LD: marks the request as coming from the continuum (forwarding to the right broker).
    aerOS: 'true',
  };
  if (config.contextUrl !== null) {
    headers['Link'] = `<${config.contextUrl}>; rel="http://www.w3.org/ns/json-ld#context"; type="application/ld+json"`;
  }
  if (config.token !== null) {
    headers['Authorization'] = `Bearer ${config.token}`;
  }
  return headers;
}

/** The transport over Node's fetch, with a per-request timeout. */
export class FetchNgsiLdTransport implements NgsiLdTransport {
  private readonly headers: Record<string, string>;

  constructor(private readonly config: NgsiLdConfig) {
    this.headers = ngsiLdHeaders(config);
  }

  async send(request: NgsiLdRequest, signal: AbortSignal): Promise<NgsiLdReply> {
    const timeout = new AbortController();
    const timer = setTimeout(() => timeout.abort(new Error('NGSI-LD request timed out')), this.config.requestTimeoutMs);
    const abort = (): void => timeout.abort(signal.reason);
    if (signal.aborted) {
      abort();
    } else {
      signal.addEventListener('abort', abort, { once: true });
    }
    try {
      const response = await fetch(`${this.config.brokerUrl}${request.path}`, {
        method: request.method,
        headers: this.headers,
        body: request.body,
        signal: timeout.signal,
      });
      const text = await response.text();
      return { status: response.status, excerpt: text.slice(0, REPLY_EXCERPT_CHARS) };
    } finally {
      clearTimeout(timer);
      signal.removeEventListener('abort', abort);
    }
  }
}
