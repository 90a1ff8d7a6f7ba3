import { FakeClock } from './fake-clock';

describe('FakeClock', () => {
  it('moves only when advanced', () => {
    const clock = new FakeClock(1000);
    expect(clock.now()).toBe(1000);
    clock.advance(250);
    expect(clock.now()).toBe(1250);
  });

  it('fires due timers in due order, each at its own instant, and never a cancelled one', () => {
    const clock = new FakeClock(0);
    const fired: [string, number][] = [];
    clock.setTimer(300, () => fired.push(['late', clock.now()]));
    clock.setTimer(100, () => fired.push(['early', clock.now()]));
    const cancel = clock.setTimer(200, () => fired.push(['cancelled', clock.now()]));
    cancel();
    expect(clock.nextTimerAt()).toBe(100);
    clock.advance(299);
    expect(fired).toEqual([['early', 100]]);
    clock.advance(1);
    expect(fired).toEqual([
      ['early', 100],
      ['late', 300],
    ]);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('fires a timer set by a firing timer when it falls within the same advance', () => {
    const clock = new FakeClock(0);
    const fired: number[] = [];
    clock.setTimer(10, () => clock.setTimer(10, () => fired.push(clock.now())));
    clock.advance(25);
    expect(fired).toEqual([20]);
    expect(clock.now()).toBe(25);
  });
});
