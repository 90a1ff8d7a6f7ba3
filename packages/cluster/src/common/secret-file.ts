import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensurePrivateDir } from '@canopy/nest-edge';

export interface KeptSecret {
  readonly value: string;
  /** Where it is kept (data directory), for the caller's log line. */
  readonly file: string;
  /** Whether this call generated it (it was not on disk yet). */
  readonly generated: boolean;
}

/**
 * A secret kept in `<dataDir>/<name>` (mode 0600): read back when the file exists, otherwise
 * generated once and written, so the same value survives a restart. The value is never logged.
 */
export function keptSecret(dataDir: string, name: string, generate: () => string): KeptSecret {
  const file = join(dataDir, name);
  if (existsSync(file)) {
    return { value: readFileSync(file, 'utf8').trim(), file, generated: false };
  }
  ensurePrivateDir(dataDir);
  const value = generate();
  writeFileSync(file, `${value}\n`, { mode: 0o600 });
  return { value, file, generated: true };
}
