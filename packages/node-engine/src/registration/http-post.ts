import * as http from 'node:http';
import * as https from 'node:https';

export interface HttpAnswer {
  status: number;
  text: string;
}

/**
 * One HTTP(S) POST with a text answer, on `node:http`. Not `fetch`: the first touch of Node's
 * global fetch loads undici with http2, web streams, perf_hooks and worker_threads, about 9 MB of
 * resident memory a bare Node.js never gets back (issue 14 §5, bench/node-footprint.js); the
 * engine already has `node:http` loaded for Docker. Rejects on a network error or when `signal`
 * aborts (the error's `cause` is the abort reason, as with fetch).
 */
export function postText(
  url: string,
  headers: Record<string, string>,
  body: string,
  signal: AbortSignal,
): Promise<HttpAnswer> {
  const target = new URL(url);
  const request = target.protocol === 'https:' ? https.request : http.request;
  return new Promise<HttpAnswer>((resolve, reject) => {
    const req = request(
      target,
      { method: 'POST', headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) }, signal },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}
