import { ConfigError } from '@canopy/schema';

/** CANOPY_CORS_ORIGINS: `*` (the default) or a comma-separated list of exact origins. */
export function parseCorsOrigins(raw: string): '*' | string[] {
  const entries = raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (entries.length === 0 || entries.includes('*')) {
    if (entries.length > 1) {
      throw new ConfigError('CANOPY_CORS_ORIGINS', '"*" cannot be combined with other origins');
    }
    return '*';
  }
  for (const entry of entries) {
    let url: URL;
    try {
      url = new URL(entry);
    } catch {
      throw new ConfigError('CANOPY_CORS_ORIGINS', `"${entry}" is not an origin such as https://dash.example.org`);
    }
    if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.origin !== entry) {
      throw new ConfigError('CANOPY_CORS_ORIGINS', `"${entry}" is not an origin such as https://dash.example.org`);
    }
  }
  return entries;
}
