import { ConfigError } from '../errors';
import { bool, int, list, millis, parseDuration, seconds, text } from './kinds';
import { Setting, completeSettings, loadSettings, settingVariables } from './settings';

class Sample {
  @Setting('SAMPLE_COUNT', int(1, 10)) count = 3;
  @Setting('SAMPLE_INTERVAL_MS', millis(100, 86_400_000)) intervalMs = 5000;
  @Setting('SAMPLE_TTL_S', seconds(10, 86_400)) ttlS = 900;
  @Setting('SAMPLE_ON', bool) on = false;
  @Setting('SAMPLE_TAGS', list()) tags: string[] = [];
  @Setting('SAMPLE_TOKEN', text({ minLength: 8 }), { required: true, secret: true, fileKeys: ['token'] })
  token!: string;
  @Setting('SAMPLE_NAME', text()) name?: string | undefined;
}

function errorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) {
      return err;
    }
    throw err;
  }
  throw new Error('expected a ConfigError');
}

const load = (env: NodeJS.ProcessEnv, values?: Record<string, unknown>) =>
  loadSettings(Sample, { env, ...(values === undefined ? {} : { file: { path: 'sample.yaml', values } }) });

describe('the settings loader', () => {
  it('keeps the defaults on the fields and needs only the required setting', () => {
    expect({ ...load({ SAMPLE_TOKEN: 'secret-1', SAMPLE_NAME: '' }) }).toEqual({
      count: 3,
      intervalMs: 5000,
      ttlS: 900,
      on: false,
      tags: [],
      token: 'secret-1',
      name: undefined,
    });
    expect(errorOf(() => load({})).message).toBe('SAMPLE_TOKEN: is required');
  });

  it('reads durations with units, bare numbers in the variable’s own unit', () => {
    const s = load({ SAMPLE_TOKEN: 'secret-1', SAMPLE_INTERVAL_MS: '30s', SAMPLE_TTL_S: '15m' });
    expect([s.intervalMs, s.ttlS]).toEqual([30_000, 900]);
    expect(load({ SAMPLE_TOKEN: 'secret-1', SAMPLE_INTERVAL_MS: '250', SAMPLE_TTL_S: '60' })).toMatchObject({
      intervalMs: 250,
      ttlS: 60,
    });
    expect([parseDuration('5m'), parseDuration('1.5s'), parseDuration('2h'), parseDuration('1d')]).toEqual([
      300_000, 1500, 7_200_000, 86_400_000,
    ]);
    expect(parseDuration('soon')).toBeUndefined();
  });

  it.each<[NodeJS.ProcessEnv, string, string]>([
    [{ SAMPLE_COUNT: '11' }, 'SAMPLE_COUNT', 'SAMPLE_COUNT: must be a whole number in 1..10, got "11"'],
    [{ SAMPLE_COUNT: '1.5' }, 'SAMPLE_COUNT', 'SAMPLE_COUNT: must be a whole number in 1..10, got "1.5"'],
    [
      { SAMPLE_INTERVAL_MS: '50ms' },
      'SAMPLE_INTERVAL_MS',
      'SAMPLE_INTERVAL_MS: must be a duration in 100ms..1d (e.g. 30s, 5m, or milliseconds), got "50ms"',
    ],
    [
      { SAMPLE_TTL_S: '2d' },
      'SAMPLE_TTL_S',
      'SAMPLE_TTL_S: must be a duration in 10s..1d (e.g. 15m, 7d, or seconds), got "2d"',
    ],
    [{ SAMPLE_ON: 'yes' }, 'SAMPLE_ON', 'SAMPLE_ON: must be true or false, got "yes"'],
  ])('refuses %j naming the variable and the allowed range', (env, variable, message) => {
    const error = errorOf(() => load({ SAMPLE_TOKEN: 'secret-1', ...env }));
    expect(error.variable).toBe(variable);
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toBe(message);
  });

  it('never echoes a secret', () => {
    const error = errorOf(() => load({ SAMPLE_TOKEN: 'short' }));
    expect(error.message).toBe('SAMPLE_TOKEN: must be at least 8 characters');
  });

  it('reads the file by field name, variable name or alias; the environment overrides it', () => {
    const s = load({ SAMPLE_COUNT: '7' }, { token: 'from-file', count: 2, SAMPLE_ON: true, tags: ['a', 'b'] });
    expect(s).toMatchObject({ token: 'from-file', count: 7, on: true, tags: ['a', 'b'] });
  });

  it('refuses an unknown file key naming it, and a bad file value naming the variable and the file', () => {
    const unknown = errorOf(() => load({ SAMPLE_TOKEN: 'secret-1' }, { cuont: 2 }));
    expect(unknown.variable).toBe('cuont');
    expect(unknown.message).toContain('unknown key "cuont" in sample.yaml');
    const bad = errorOf(() => load({ SAMPLE_TOKEN: 'secret-1' }, { count: 99 }));
    expect(bad.variable).toBe('SAMPLE_COUNT');
    expect(bad.message).toContain('(sample.yaml key count)');
  });

  it('completes a hand-built settings object from the defaults and lists its variables', () => {
    expect(completeSettings(Sample, { token: 't', count: undefined, on: true })).toMatchObject({
      token: 't',
      count: 3,
      on: true,
    });
    expect(settingVariables(Sample)).toEqual([
      'SAMPLE_COUNT',
      'SAMPLE_INTERVAL_MS',
      'SAMPLE_TTL_S',
      'SAMPLE_ON',
      'SAMPLE_TAGS',
      'SAMPLE_TOKEN',
      'SAMPLE_NAME',
    ]);
  });
});
