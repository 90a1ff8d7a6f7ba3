import { reconnectDelayMs } from '../mqtt/mqtt-link.adapter';
import { ReportPacer } from './report-pacer';

describe('ReportPacer', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('reports at its interval, and at the one the cluster sets from a random point of its first', () => {
    const ticks: number[] = [];
    const pacer = new ReportPacer(
      1000,
      () => ticks.push(Date.now()),
      () => 0.25,
    );
    const t0 = Date.now();
    pacer.start();
    jest.advanceTimersByTime(3000);
    expect(ticks.map((t) => t - t0)).toEqual([1000, 2000, 3000]);
    pacer.setIntervalMs(4000);
    expect(pacer.intervalMs).toBe(4000);
    jest.advanceTimersByTime(9000);
    // First after a quarter of the new interval, then every 4 s.
    expect(ticks.slice(3).map((t) => t - t0)).toEqual([4000, 8000, 12000]);
    pacer.stop();
    pacer.setIntervalMs(500);
    jest.advanceTimersByTime(5000);
    expect(ticks).toHaveLength(6);
  });
});

describe('reconnectDelayMs', () => {
  it('doubles from the base up to the maximum, each drawn from 50-150 %', () => {
    expect([0, 1, 2, 3, 4, 10].map((a) => reconnectDelayMs(a, 1000, 10_000, () => 0.5))).toEqual([
      1000, 2000, 4000, 8000, 10_000, 10_000,
    ]);
    expect(reconnectDelayMs(0, 1000, 10_000, () => 0)).toBe(500);
    expect(reconnectDelayMs(20, 1000, 10_000, () => 0.999999)).toBe(15_000);
  });
});
