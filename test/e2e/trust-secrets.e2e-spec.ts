import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO } from '../support/processes';
import { freePort, waitFor } from '@canopy/testing';

jest.setTimeout(60_000);

interface Tier {
  child: ChildProcess;
  stdout: string[];
  stderr: string[];
  exited: Promise<void>;
}

/** A tier's built entry point with its JSON log (stdout) and terminal (stderr) kept apart. */
function start(tier: 'root' | 'cluster', env: NodeJS.ProcessEnv): Tier {
  const child = spawn(process.execPath, [join(REPO, 'packages', tier, 'dist', 'main.js')], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const t: Tier = {
    child,
    stdout: [],
    stderr: [],
    exited: new Promise((resolve) => child.once('exit', () => resolve())),
  };
  child.stdout?.on('data', (d: Buffer) => t.stdout.push(d.toString('utf8')));
  child.stderr?.on('data', (d: Buffer) => t.stderr.push(d.toString('utf8')));
  return t;
}

async function stop(t: Tier | undefined): Promise<void> {
  if (!t || t.child.exitCode !== null || t.child.signalCode !== null) {
    return;
  }
  t.child.kill('SIGTERM');
  const timer = setTimeout(() => t.child.kill('SIGKILL'), 5000);
  await t.exited;
  clearTimeout(timer);
}

/** Issue 10: generated secrets reach the operator's terminal once and never the JSON logs. */
describe('bootstrap secrets and private files (root and cluster as processes)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'canopy-e2e-secrets-'));
  let root: Tier | undefined;
  let cluster: Tier | undefined;

  afterAll(async () => {
    await stop(cluster);
    await stop(root);
    rmSync(dir, { recursive: true, force: true });
  });

  it('prints the generated admin password, cluster token and join token to stderr only, and keeps data private', async () => {
    const rootPort = await freePort();
    root = start('root', { ROOT_PORT: String(rootPort), ROOT_HOST: '127.0.0.1', ROOT_DATA_DIR: join(dir, 'root') });
    const password = await waitFor(
      'the admin password on stderr',
      () => /first admin password for Admin: (\S+)/.exec(root!.stderr.join(''))?.[1],
    );
    const clusterToken = await waitFor(
      'the cluster token on stderr',
      () => /generated cluster token: (\S+)/.exec(root!.stderr.join(''))?.[1],
    );
    // The password works, so what was printed is the real secret.
    const login = await fetch(`http://127.0.0.1:${rootPort}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'Admin', password }),
    });
    expect(login.status).toBe(200);

    const clusterPort = await freePort();
    cluster = start('cluster', {
      ROOT_URL: `http://127.0.0.1:${rootPort}`,
      CLUSTER_TOKEN: clusterToken,
      CLUSTER_NAME: 'secrets',
      CLUSTER_PORT: String(clusterPort),
      CLUSTER_HOST: '127.0.0.1',
      MQTT_PORT: String(await freePort()),
      CLUSTER_DATA_DIR: join(dir, 'cluster'),
    });
    const joinToken = await waitFor(
      'the join token on stderr',
      () => /generated node join token: (\S+)/.exec(cluster!.stderr.join(''))?.[1],
    );
    // A request carrying the join token, so the request log has something to leak.
    const reg = await fetch(`http://127.0.0.1:${clusterPort}/api/node/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${joinToken}` },
      body: JSON.stringify({ name: 'n', arch: 'amd64', cpuCores: 1, memoryMb: 256 }),
    });
    expect(reg.status).toBe(200);
    await waitFor('the request log line', () =>
      cluster!.stdout.join('').includes('/api/node/register') ? true : undefined,
    );

    const logs = root.stdout.join('') + cluster.stdout.join('');
    for (const secret of [password, clusterToken, joinToken]) {
      expect(logs).not.toContain(secret);
    }
    expect(logs).toContain('printed once to stderr');

    expect(statSync(join(dir, 'root')).mode & 0o777).toBe(0o700);
    expect(statSync(join(dir, 'root', 'root.db')).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'cluster')).mode & 0o777).toBe(0o700);
    expect(statSync(join(dir, 'cluster', 'cluster.db')).mode & 0o777).toBe(0o600);
  });
});
