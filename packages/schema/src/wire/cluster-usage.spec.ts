import { MAX_USAGE_ENTRIES, parseClusterUsage } from './cluster-usage';

function paths(input: unknown): string[] {
  const result = parseClusterUsage(input);
  return result.ok ? [] : [...new Set(result.errors.map((e) => e.path))];
}

const entry = { serviceId: 's1', instanceNumber: 0, generation: 1, cpuPercent: 12.5, memoryMb: 30.2, at: 1 };

describe('parseClusterUsage (cluster → root `instance:usage`)', () => {
  it('accepts entries with either figure or both', () => {
    const { cpuPercent: _c, ...memoryOnly } = entry;
    expect(paths({ instances: [entry, memoryOnly] })).toEqual([]);
  });

  it.each([
    ['a negative cpu', { ...entry, cpuPercent: -1 }, 'instances[0].cpuPercent'],
    ['memory as a string', { ...entry, memoryMb: '30' }, 'instances[0].memoryMb'],
    ['no service id', { ...entry, serviceId: '' }, 'instances[0].serviceId'],
    ['no time', { ...entry, at: undefined }, 'instances[0].at'],
  ])('names the field of %s', (_what, bad, path) => {
    expect(paths({ instances: [bad] })).toEqual([path]);
  });

  it('refuses what is not a batch', () => {
    expect(paths(null)).toEqual(['instances']);
    expect(paths({ instances: {} })).toEqual(['instances']);
    expect(paths({ instances: [null] })).toEqual([
      'instances[0].serviceId',
      'instances[0].instanceNumber',
      'instances[0].generation',
      'instances[0].at',
    ]);
  });

  it('keeps only the known fields', () => {
    const result = parseClusterUsage({ instances: [{ ...entry, extra: 1 }] });
    expect(result).toEqual({ ok: true, value: { instances: [entry] } });
  });

  it('refuses a batch larger than the limit', () => {
    expect(paths({ instances: Array.from({ length: MAX_USAGE_ENTRIES + 1 }, () => entry) })).toEqual(['instances']);
  });
});
