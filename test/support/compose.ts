import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { REPO } from './processes';

const run = promisify(execFile);

/** The base images this workplace builds its images from (scripts/build-base-image.sh). */
export const BASE_IMAGES = {
  CANOPY_BASE_IMAGE: 'canopy-base/node:20-bookworm-slim',
  CANOPY_DEBIAN_BASE_IMAGE: 'canopy-base/debian:bookworm-slim',
};

/** Why compose tests cannot run on this machine, or undefined when they can. */
export function composeUnavailable(): string | undefined {
  try {
    execFileSync('docker-compose', ['version'], { stdio: 'ignore' });
  } catch {
    return 'docker-compose is not installed (apt-get install docker-compose)';
  }
  try {
    execFileSync('docker', ['info'], { stdio: 'ignore' });
  } catch {
    return 'no Docker engine answers';
  }
  return undefined;
}

/** One compose project (its own name, so it never touches another's containers or volumes). */
export class ComposeProject {
  constructor(
    readonly project: string,
    readonly files: string[],
    readonly env: NodeJS.ProcessEnv,
  ) {}

  async run(...args: string[]): Promise<string> {
    const fileArgs = this.files.flatMap((f) => ['-f', f]);
    try {
      const { stdout } = await run('docker-compose', ['-p', this.project, ...fileArgs, ...args], {
        cwd: REPO,
        env: { PATH: process.env.PATH, HOME: process.env.HOME, ...BASE_IMAGES, ...this.env },
        maxBuffer: 64 * 1024 * 1024,
      });
      return stdout;
    } catch (err) {
      const e = err as { stderr?: string; message: string };
      throw new Error(`docker-compose ${args.join(' ')} failed: ${e.stderr?.slice(-2000) ?? e.message}`);
    }
  }

  /** Container ids of the project's running services. */
  async containers(): Promise<string[]> {
    return (await this.run('ps', '-q')).split('\n').filter((l) => l.trim() !== '');
  }

  /** Logs of every service, for a failing test's message. */
  async logs(): Promise<string> {
    return this.run('logs', '--no-color', '--tail', '80').catch((err: Error) => err.message);
  }
}

/** Builds the base images when missing (cached by tag; about a minute the first time). */
export function ensureBaseImages(): void {
  execFileSync('bash', [`${REPO}/scripts/build-base-image.sh`], { stdio: 'ignore' });
}
