import { distanceKm, fitScore, normalizePolicy } from './scheduler';

import { BERLIN, MUNICH, node } from '../test/support/scheduler-cases';

describe('fitScore', () => {
  it('is the sum of the remaining CPU and memory fractions', () => {
    const c = node('x');
    expect(fitScore(c, { cpuMillis: 3000, memoryMb: 4096, gpus: 0 }, { cpuMillis: 500, memoryMb: 512, gpus: 0 })).toBe(
      0.5625,
    );
    const noMemory = node('y', { allocatable: { cpuMillis: 1000, memoryMb: 0, gpus: 0 } });
    expect(fitScore(noMemory, { cpuMillis: 0, memoryMb: 0, gpus: 0 }, { cpuMillis: 250, memoryMb: 0, gpus: 0 })).toBe(
      0.75,
    );
  });
});

describe('normalizePolicy', () => {
  it.each([
    ['best-fit', 'best-fit'],
    ['best_fit', 'best-fit'],
    ['worst-fit', 'worst-fit'],
    ['worst_fit', 'worst-fit'],
    ['first-fit', 'first-fit'],
    ['first_fit', 'first-fit'],
    ['most-traffic', 'most-traffic'],
    ['most_traffic', 'most-traffic'],
    ['traffic-most', 'most-traffic'],
    [' Best_Fit ', 'best-fit'],
  ])('%j → %s', (raw, policy) => {
    expect(normalizePolicy(raw)).toBe(policy);
  });

  it.each(['', 'fastest', 'constructor', 'toString', 'best fit'])('%j → undefined', (raw) => {
    expect(normalizePolicy(raw)).toBeUndefined();
  });
});

describe('distanceKm', () => {
  it('measures great-circle distance (Munich–Berlin ≈ 504 km)', () => {
    expect(distanceKm(MUNICH, BERLIN)).toBeGreaterThan(500);
    expect(distanceKm(MUNICH, BERLIN)).toBeLessThan(508);
    expect(distanceKm(MUNICH, MUNICH)).toBe(0);
  });
});
