import { chmodSync, closeSync, mkdirSync, openSync } from 'node:fs';

/**
 * A data directory only its owner can enter (0700), also when it already existed with a looser
 * mode: it holds registry credentials and tokens (SPEC §9).
 */
export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
}

/**
 * Creates `file` 0600 (or tightens it) before anything opens it. SQLite gives its `-wal` and `-shm`
 * files the mode of the database file, so doing this before `new Database(file)` covers them too.
 */
export function ensurePrivateFile(file: string): void {
  closeSync(openSync(file, 'a', 0o600));
  chmodSync(file, 0o600);
}
