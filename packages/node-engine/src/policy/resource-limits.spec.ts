import { DEFAULT_RESOURCE_LIMITS, effectiveLimits } from './resource-limits';

describe('effectiveLimits', () => {
  it('gives a descriptor that says 0 the defaults, never "no limit"', () => {
    expect(effectiveLimits({ memoryBytes: 0, nanoCpus: 0 })).toEqual({
      memoryBytes: DEFAULT_RESOURCE_LIMITS.defaultMemoryBytes,
      nanoCpus: DEFAULT_RESOURCE_LIMITS.defaultNanoCpus,
      pidsLimit: DEFAULT_RESOURCE_LIMITS.pidsLimit,
    });
  });

  it('raises limits below the floor and keeps the rest', () => {
    expect(effectiveLimits({ memoryBytes: 1024, nanoCpus: 1 })).toMatchObject({
      memoryBytes: DEFAULT_RESOURCE_LIMITS.minMemoryBytes,
      nanoCpus: DEFAULT_RESOURCE_LIMITS.minNanoCpus,
    });
    expect(effectiveLimits({ memoryBytes: 64 * 1024 * 1024, nanoCpus: 5e8 })).toMatchObject({
      memoryBytes: 64 * 1024 * 1024,
      nanoCpus: 5e8,
    });
  });
});
