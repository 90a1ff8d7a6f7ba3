import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const REPO = resolve(__dirname, '../..');

export interface TierProcess {
  name: string;
  child: ChildProcess;
  logFile: string;
  /** Resolves once the process has exited. */
  exited: Promise<number | null>;
}

/**
 * Starts one tier's built entry point (`packages/<tier>/dist/main.js`) as its own process, its
 * output in a log file beside the test's data. Tests stop what they start, by pid.
 */
export function startTier(
  tier: 'root' | 'cluster' | 'node-engine',
  name: string,
  env: NodeJS.ProcessEnv,
  logDir: string,
): TierProcess {
  mkdirSync(logDir, { recursive: true });
  const logFile = join(logDir, `${name}.log`);
  const out = createWriteStream(logFile);
  const child = spawn(process.execPath, [join(REPO, 'packages', tier, 'dist', 'main.js')], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, LOG_LEVEL: 'debug', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.pipe(out);
  child.stderr?.pipe(out);
  const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
  return { name, child, logFile, exited };
}

/** SIGTERM, then SIGKILL after a grace period. */
export async function stopTier(p: TierProcess, graceMs = 5000): Promise<void> {
  if (p.child.exitCode !== null || p.child.signalCode !== null) {
    return;
  }
  p.child.kill('SIGTERM');
  const timer = setTimeout(() => p.child.kill('SIGKILL'), graceMs);
  await p.exited;
  clearTimeout(timer);
}
