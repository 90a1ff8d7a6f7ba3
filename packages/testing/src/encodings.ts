import { gzipSync } from 'node:zlib';

/**
 * Bodies whose `content-encoding` lies or is unknown, and the answer each must get at an HTTP edge
 * of Canopy (issue 10: a gzip body that was not gzip gave a 500 with a stack, without a token).
 */
export function malformedEncodings(): { name: string; encoding: string; body: Buffer; status: number }[] {
  const json = Buffer.from(JSON.stringify({ username: 'x', password: 'y' }));
  return [
    { name: 'gzip that is not gzip', encoding: 'gzip', body: Buffer.from('not gzip'), status: 400 },
    { name: 'deflate that is not deflate', encoding: 'deflate', body: Buffer.from('not deflate'), status: 400 },
    { name: 'br that is not brotli', encoding: 'br', body: Buffer.from('not brotli'), status: 400 },
    { name: 'truncated gzip', encoding: 'gzip', body: gzipSync(json).subarray(0, 10), status: 400 },
    { name: 'an unknown encoding', encoding: 'zstd', body: json, status: 415 },
    { name: 'two encodings', encoding: 'gzip, gzip', body: gzipSync(json), status: 415 },
    // 50 MB of spaces in 50 kB: inflated only up to the body limit.
    { name: 'a gzip bomb', encoding: 'gzip', body: gzipSync(Buffer.alloc(50 * 1024 * 1024, 0x20)), status: 413 },
  ];
}

/** POSTs each of {@link malformedEncodings} to `url` with no token; the answers, by case name. */
export async function postMalformedEncodings(
  url: string,
): Promise<{ name: string; status: number; expected: number; body: string }[]> {
  const out = [];
  for (const c of malformedEncodings()) {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-encoding': c.encoding },
      body: c.body,
    });
    out.push({ name: c.name, status: res.status, expected: c.status, body: await res.text() });
  }
  return out;
}
