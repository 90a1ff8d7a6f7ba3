import { FakeClock } from '@canopy/testing';
import { TokenBucket } from './token-bucket';

describe('TokenBucket', () => {
  it('admits a burst, then the rate, and saves up no more than the burst', () => {
    const clock = new FakeClock();
    const bucket = new TokenBucket(10, 5);
    const admitted = (n: number): number =>
      Array.from({ length: n }, () => bucket.take(clock.now())).filter(Boolean).length;
    expect(admitted(8)).toBe(5);
    clock.advance(100);
    expect(admitted(3)).toBe(1);
    clock.advance(1000);
    expect(admitted(20)).toBe(5);
    // Over ten seconds of steady demand: the rate, not more.
    let total = 0;
    for (let i = 0; i < 100; i++) {
      clock.advance(100);
      total += admitted(10);
    }
    expect(total).toBe(100);
  });

  it('does not go back in time when the clock does', () => {
    const clock = new FakeClock();
    const bucket = new TokenBucket(1, 1);
    expect(bucket.take(clock.now())).toBe(true);
    expect(bucket.take(clock.now() - 5000)).toBe(false);
    expect(bucket.take(clock.now())).toBe(false);
    clock.advance(1000);
    expect(bucket.take(clock.now())).toBe(true);
  });
});
