import { spawn, type ChildProcess } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { docker, freePort, waitFor } from '@canopy/testing';

/**
 * A real image registry (Debian's `docker-registry`, distribution 2.8) on a free loopback port with
 * htpasswd login, started by pid and stopped by pid. Docker talks plain HTTP to 127.0.0.0/8.
 * `push` puts a local image into it with a login kept in the test's own docker config dir, so the
 * machine's `~/.docker` is never touched.
 */
export class TestRegistry {
  private dir: string | undefined;
  private child: ChildProcess | undefined;
  private readonly pushed: string[] = [];
  address = '';

  constructor(
    readonly username: string,
    readonly password: string,
  ) {}

  async start(): Promise<void> {
    this.dir = await fs.mkdtemp(path.join(os.tmpdir(), 'canopy-registry-'));
    const port = await freePort();
    this.address = `127.0.0.1:${port}`;
    const htpasswd = execFileSync('htpasswd', ['-Bbn', this.username, this.password], { encoding: 'utf8' });
    await fs.writeFile(path.join(this.dir, 'htpasswd'), htpasswd, { mode: 0o600 });
    const config = [
      'version: 0.1',
      'log:',
      '  level: error',
      'storage:',
      '  filesystem:',
      `    rootdirectory: ${path.join(this.dir, 'data')}`,
      'http:',
      `  addr: ${this.address}`,
      'auth:',
      '  htpasswd:',
      '    realm: canopy-test',
      `    path: ${path.join(this.dir, 'htpasswd')}`,
      '',
    ].join('\n');
    await fs.writeFile(path.join(this.dir, 'config.yml'), config);
    this.child = spawn('/usr/bin/docker-registry', ['serve', path.join(this.dir, 'config.yml')], { stdio: 'ignore' });
    // Up once it asks for a login.
    await waitFor(`the registry at ${this.address}`, async () => {
      const res = await fetch(`http://${this.address}/v2/`);
      return res.status === 401;
    });
  }

  /** Tags `local` as `<registry>/<repository>` and pushes it with the login; returns the new name. */
  async push(local: string, repository: string): Promise<string> {
    const dir = this.dir as string;
    const name = `${this.address}/${repository}`;
    const config = path.join(dir, 'docker-config');
    execFileSync('docker', ['--config', config, 'login', '-u', this.username, '--password-stdin', this.address], {
      input: this.password,
      stdio: ['pipe', 'ignore', 'pipe'],
    });
    await docker('tag', local, name);
    this.pushed.push(name);
    await docker('--config', config, 'push', name);
    return name;
  }

  async stop(): Promise<void> {
    for (const name of this.pushed) {
      await docker('rmi', name).catch(() => undefined);
    }
    const child = this.child;
    if (child?.pid !== undefined && child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      process.kill(child.pid, 'SIGTERM');
      await exited;
    }
    if (this.dir !== undefined) {
      await fs.rm(this.dir, { recursive: true, force: true });
    }
  }
}
