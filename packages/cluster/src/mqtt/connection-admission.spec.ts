import { FakeClock } from '@canopy/testing';
import pino from 'pino';
import { type AdmittedSocket, ConnectionAdmission, QUEUE_SECONDS } from './connection-admission';

class FakeSocket implements AdmittedSocket {
  destroyed = false;
  destroy(): void {
    this.destroyed = true;
  }
  on(): this {
    return this;
  }
}

describe('ConnectionAdmission (MQTT_CONNECT_RATE)', () => {
  const rate = 2;
  let clock: FakeClock;
  let admission: ConnectionAdmission;
  let served: number[];

  beforeEach(() => {
    clock = new FakeClock();
    admission = new ConnectionAdmission(rate, clock, pino({ level: 'silent' }));
    served = [];
  });
  afterEach(() => admission.close());

  const admit = (id: number): FakeSocket => {
    const socket = new FakeSocket();
    admission.admit(socket, () => served.push(id));
    return socket;
  };

  it('serves connections within the rate at once', () => {
    admit(1);
    admit(2);
    expect(served).toEqual([1, 2]);
    expect(admission.queued).toBe(0);
  });

  it('keeps the ones over the rate waiting, unread, and serves them in order as the rate allows', () => {
    const sockets = [1, 2, 3, 4, 5].map(admit);
    expect(served).toEqual([1, 2]);
    expect(admission.queued).toBe(3);
    clock.advance(500);
    admission.drain();
    expect(served).toEqual([1, 2, 3]);
    clock.advance(1000);
    admission.drain();
    expect(served).toEqual([1, 2, 3, 4, 5]);
    expect(sockets.every((s) => !s.destroyed)).toBe(true);
  });

  it('holds a whole reconnect wave of QUEUE_SECONDS at the rate, and closes only what is past it', () => {
    const capacity = rate * QUEUE_SECONDS;
    const sockets = Array.from({ length: rate + capacity + 3 }, (_, i) => admit(i));
    expect(admission.queued).toBe(capacity);
    expect(sockets.filter((s) => s.destroyed)).toHaveLength(3);
    for (let t = 0; t < QUEUE_SECONDS; t++) {
      clock.advance(1000);
      admission.drain();
    }
    expect(served).toHaveLength(rate + capacity);
    expect(admission.queued).toBe(0);
  });

  it('closes a connection that waited past QUEUE_SECONDS instead of serving it, and serves the fresh one', () => {
    admit(1);
    admit(2);
    const stale = admit(3);
    // The event loop stalls: nothing drains for longer than any client waits for its CONNACK.
    clock.advance(QUEUE_SECONDS * 1000 + 1);
    admit(4);
    admission.drain();
    expect(stale.destroyed).toBe(true);
    expect(served).toEqual([1, 2, 4]);
  });

  it('spends no turn on a connection whose client already went away', () => {
    admit(1);
    admit(2);
    const gone = admit(3);
    admit(4);
    gone.destroy();
    clock.advance(500);
    admission.drain();
    expect(served).toEqual([1, 2, 4]);
  });
});
