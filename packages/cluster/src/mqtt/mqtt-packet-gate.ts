import { Duplex } from 'node:stream';
import type { Socket } from 'node:net';

/**
 * Reads MQTT fixed headers as bytes arrive and refuses a packet whose declared remaining length is
 * over the limit before its body is read. aedes' parser buffers a whole packet (of any declared
 * length, up to 256 MB) before it even sees the CONNECT, so without this an unauthenticated client
 * could make the cluster hold hundreds of megabytes. Pure: it only counts bytes.
 */
export class PacketSizeGate {
  /** Body bytes of the current packet still to pass through unread. */
  private skip = 0;
  /** Fixed-header bytes seen for the next packet (type byte + up to 4 length bytes). */
  private headerBytes = 0;
  private length = 0;
  private multiplier = 1;

  /** @param limit the largest remaining length allowed (raised once the client has logged in) */
  constructor(private limit: number) {}

  setLimit(limit: number): void {
    this.limit = limit;
  }

  /** `undefined` when the chunk is fine, otherwise why the connection must be dropped. */
  check(chunk: Buffer): string | undefined {
    let i = 0;
    while (i < chunk.length) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, chunk.length - i);
        this.skip -= n;
        i += n;
        continue;
      }
      const byte = chunk[i++] ?? 0;
      if (this.headerBytes === 0) {
        this.headerBytes = 1;
        this.length = 0;
        this.multiplier = 1;
        continue;
      }
      this.length += (byte & 0x7f) * this.multiplier;
      this.multiplier *= 128;
      this.headerBytes++;
      if ((byte & 0x80) !== 0) {
        if (this.headerBytes >= 5) {
          return 'malformed remaining length';
        }
        continue;
      }
      if (this.length > this.limit) {
        return `packet of ${this.length} bytes is over the limit of ${this.limit}`;
      }
      this.skip = this.length;
      this.headerBytes = 0;
    }
    return undefined;
  }
}

/**
 * A stream for aedes that passes the socket's bytes through `gate` first; on a refusal the socket is
 * destroyed before the offending bytes reach the parser, so at most one chunk of them is ever held.
 * Outbound, aedes writes without waiting for the socket to drain: a client that stops reading
 * would make the cluster hold everything sent to it. Past `maxBufferedBytes` waiting to be sent,
 * the connection is closed instead (the node reconnects and gets a full sync).
 */
export function gatedConnection(
  socket: Socket,
  gate: PacketSizeGate,
  onRefused: (reason: string) => void,
  maxBufferedBytes = Number.POSITIVE_INFINITY,
): Duplex {
  const conn = new Duplex({
    read() {
      socket.resume();
    },
    write(chunk: Buffer, _encoding, callback) {
      if (socket.writableLength + chunk.length > maxBufferedBytes) {
        onRefused(`client not reading: ${socket.writableLength} bytes waiting to be sent`);
        socket.destroy();
        callback();
        return;
      }
      // Handed on at once, so what waits is in the socket, where it is measured above (waiting for
      // each flush would queue it in this stream instead, unmeasured). Socket errors close both.
      socket.write(chunk);
      callback();
    },
    final(callback) {
      socket.end(callback);
    },
    destroy(err, callback) {
      socket.destroy();
      callback(err);
    },
  });
  socket.on('data', (chunk: Buffer) => {
    const refused = gate.check(chunk);
    if (refused !== undefined) {
      onRefused(refused);
      socket.destroy();
      conn.destroy();
      return;
    }
    if (!conn.push(chunk)) {
      socket.pause();
    }
  });
  socket.on('end', () => conn.push(null));
  socket.on('error', () => conn.destroy());
  socket.on('close', () => conn.destroy());
  return conn;
}
