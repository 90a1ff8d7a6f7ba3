const HEADER = 8;

/**
 * Docker multiplexes stdout and stderr of a container without a TTY into frames
 * `[stream, 0, 0, 0, size (uint32 BE)] payload`. A TTY container's log is the raw text. Pure.
 */
export function demuxDockerLog(buffer: Buffer): string {
  if (!looksMultiplexed(buffer)) {
    return buffer.toString('utf8');
  }
  const parts: Buffer[] = [];
  let offset = 0;
  while (offset + HEADER <= buffer.length) {
    const size = buffer.readUInt32BE(offset + 4);
    parts.push(buffer.subarray(offset + HEADER, Math.min(buffer.length, offset + HEADER + size)));
    offset += HEADER + size;
  }
  return Buffer.concat(parts).toString('utf8');
}

function looksMultiplexed(buffer: Buffer): boolean {
  if (buffer.length < HEADER) {
    return false;
  }
  const stream = buffer[0] ?? 255;
  return stream <= 2 && buffer[1] === 0 && buffer[2] === 0 && buffer[3] === 0;
}

/** The last `tail` lines of a log text, without the empty string after the final newline. */
export function logLines(text: string, tail: number, maxLineLength = 4096): string[] {
  const lines = text.split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') {
    lines.pop();
  }
  return lines.slice(-tail).map((l) => (l.length > maxLineLength ? `${l.slice(0, maxLineLength)}…` : l));
}
