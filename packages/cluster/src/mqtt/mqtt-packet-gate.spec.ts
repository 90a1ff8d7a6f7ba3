import { PacketSizeGate } from './mqtt-packet-gate';

function packet(type: number, bodyLength: number): Buffer {
  const len: number[] = [];
  let n = bodyLength;
  do {
    let byte = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 0x80;
    len.push(byte);
  } while (n > 0);
  return Buffer.concat([Buffer.from([type, ...len]), Buffer.alloc(bodyLength)]);
}

describe('PacketSizeGate', () => {
  it('passes packets up to the limit, however the bytes are split', () => {
    const gate = new PacketSizeGate(200);
    const stream = Buffer.concat([packet(0x10, 200), packet(0x30, 0), packet(0x30, 130)]);
    for (let i = 0; i < stream.length; i += 7) expect(gate.check(stream.subarray(i, i + 7))).toBeUndefined();
  });

  it('refuses a packet whose declared length is over the limit from its header alone', () => {
    const gate = new PacketSizeGate(1000);
    const header = packet(0x10, 150_000_000).subarray(0, 5);
    expect(gate.check(header)).toMatch(/150000000 bytes is over the limit of 1000/);
  });

  it('applies the limit in force when each header completes', () => {
    const gate = new PacketSizeGate(10);
    expect(gate.check(packet(0x10, 10))).toBeUndefined();
    gate.setLimit(100);
    expect(gate.check(packet(0x30, 100))).toBeUndefined();
    expect(gate.check(packet(0x30, 101))).toBeDefined();
  });

  it('refuses a remaining length longer than four bytes', () => {
    expect(new PacketSizeGate(Infinity).check(Buffer.from([0x10, 0xff, 0xff, 0xff, 0xff, 0x01]))).toBe(
      'malformed remaining length',
    );
  });
});
