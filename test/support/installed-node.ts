import { execFile, spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO, type TierProcess } from './processes';

const run = promisify(execFile);

/**
 * The node engine as an operator installs it on a worker: scripts/install-node-engine.sh into
 * `prefix` (its own copy of dist and production node_modules, its config file written from the
 * flags), then its launcher started with no environment but PATH and `env`, as the unit runs it.
 */
export async function startInstalledNode(
  prefix: string,
  options: { clusterHost: string; clusterPort: number; token: string; name: string },
  env: NodeJS.ProcessEnv,
  logDir: string,
): Promise<TierProcess> {
  await run(
    'bash',
    [
      join(REPO, 'scripts/install-node-engine.sh'),
      '--prefix',
      prefix,
      '-a',
      options.clusterHost,
      '-p',
      String(options.clusterPort),
      '--token',
      options.token,
      '--name',
      options.name,
    ],
    { cwd: logDir, timeout: 180_000 },
  );
  const logFile = join(logDir, `${options.name}.log`);
  const out = createWriteStream(logFile);
  const child = spawn(join(prefix, 'usr/local/bin/node-engine'), [], {
    env: { PATH: process.env.PATH, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.pipe(out);
  child.stderr?.pipe(out);
  const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
  return { name: options.name, child, logFile, exited };
}
