import { ConfigError } from '@canopy/schema';
import { loadRootConfig, parseCorsOrigins } from './root-config';

describe('CANOPY_CORS_ORIGINS', () => {
  it('defaults to any origin', () => {
    expect(parseCorsOrigins('')).toBe('*');
    expect(parseCorsOrigins('*')).toBe('*');
    expect(loadRootConfig({ ROOT_DATA_DIR: '/tmp/canopy-unused' }).corsOrigins).toBe('*');
  });

  it('reads a list of exact origins', () => {
    expect(parseCorsOrigins(' https://dash.example.org , http://localhost:8080')).toEqual([
      'https://dash.example.org',
      'http://localhost:8080',
    ]);
  });

  it.each([
    'dash.example.org',
    'https://dash.example.org/',
    'https://dash.example.org/app',
    'ftp://x.org',
    '*,https://a.org',
  ])('refuses %s naming the variable', (raw) => {
    expect(() => parseCorsOrigins(raw)).toThrow(ConfigError);
    expect(() => parseCorsOrigins(raw)).toThrow(/CANOPY_CORS_ORIGINS/);
  });
});
