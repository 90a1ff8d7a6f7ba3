import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { freePort, removeContainersOfNode, waitFor } from '@canopy/testing';
import { startTier, stopTier, type TierProcess } from '../../../test/support/processes';

jest.setTimeout(240_000);

const run = promisify(execFile);
const REPO = path.resolve(__dirname, '../../..');

interface Health {
  activeNodes: number;
}
interface StatusJson {
  nodeId?: string;
  nodeName?: string;
  clusterUrl?: string;
  engine: string;
  mqtt: string;
  instances: unknown[];
}

/** The daemon as an operator installs it: scripts/install-node-engine.sh into a prefix, then its launcher. */
describe('node engine installed by scripts/install-node-engine.sh', () => {
  const tag = `${process.pid}-${Date.now().toString(36)}`;
  const nodeName = `installed-${tag}`;
  const nodeToken = `install-node-token-${tag}`;
  let work: string;
  let prefix: string;
  let cluster: TierProcess | undefined;
  let engine: ChildProcess | undefined;
  let clusterPort: number;
  let nodeId: string | undefined;

  const launcher = (): string => path.join(prefix, 'usr/local/bin/node-engine');
  const health = async (): Promise<Health | undefined> => {
    const res = await fetch(`http://127.0.0.1:${clusterPort}/health`).catch(() => undefined);
    return res?.ok === true ? ((await res.json()) as Health) : undefined;
  };
  const engineExited = (proc: ChildProcess): Promise<void> =>
    new Promise((resolve) => {
      if (proc.exitCode !== null || proc.signalCode !== null) {
        resolve();
      } else {
        proc.once('exit', () => resolve());
      }
    });

  beforeAll(async () => {
    // The installer ships the built engine and the test runs the built cluster: build both (fast when fresh).
    await run('npx', ['tsc', '-b', 'packages/node-engine', 'packages/cluster'], { cwd: REPO, timeout: 180_000 });
    work = await fs.mkdtemp(path.join(os.tmpdir(), 'canopy-install-'));
    prefix = path.join(work, 'prefix');
    clusterPort = await freePort();
    // A real cluster manager as its own process; its root is absent, which nodes do not need.
    cluster = startTier(
      'cluster',
      'cluster',
      {
        ROOT_URL: `http://127.0.0.1:${await freePort()}`,
        CLUSTER_TOKEN: `install-cluster-token-${tag}`,
        CLUSTER_NAME: `install-${tag}`,
        CLUSTER_PORT: String(clusterPort),
        MQTT_PORT: String(await freePort()),
        NODE_TOKEN: nodeToken,
        CLUSTER_DATA_DIR: path.join(work, 'cluster'),
      },
      work,
    );
    await waitFor('the cluster to answer /health', health, 60_000);
  });

  afterAll(async () => {
    if (engine !== undefined && engine.exitCode === null && engine.signalCode === null) {
      engine.kill('SIGKILL');
      await engineExited(engine);
    }
    if (cluster !== undefined) {
      await stopTier(cluster);
    }
    if (nodeId !== undefined) {
      await removeContainersOfNode(nodeId);
    }
    await fs.rm(work, { recursive: true, force: true });
  });

  it('installs the layout, joins the cluster from its config file and reports itself with `status`', async () => {
    await run(
      'bash',
      [
        path.join(REPO, 'scripts/install-node-engine.sh'),
        '--prefix',
        prefix,
        '-a',
        '127.0.0.1',
        '-p',
        String(clusterPort),
        '--token',
        nodeToken,
        '--name',
        nodeName,
      ],
      { cwd: work, timeout: 120_000 },
    );
    const config = path.join(prefix, 'etc/canopy/node-engine.yaml');
    expect((await fs.stat(config)).mode & 0o777).toBe(0o600);
    expect(await fs.readFile(config, 'utf8')).toContain(`clusterUrl: http://127.0.0.1:${clusterPort}`);
    const unit = await fs.readFile(path.join(prefix, 'etc/systemd/system/canopy-node-engine.service'), 'utf8');
    expect(unit).toContain(`ExecStart=${launcher()}`);
    // The installed copy runs on its own: no path back into the checkout.
    await expect(
      fs.stat(path.join(prefix, 'opt/canopy/node-engine/node_modules/@canopy/schema')),
    ).resolves.toBeTruthy();

    // Before the first start there is no state: a clear message and exit code 1.
    const before = await run(launcher(), ['status']).then(
      () => ({ code: 0, stderr: '' }),
      (err: { code?: number; stderr?: string }) => ({ code: err.code, stderr: err.stderr ?? '' }),
    );
    expect(before.code).toBe(1);
    expect(before.stderr).toContain('no engine state in');

    // Configured by the installed file alone (no environment but PATH), as the systemd unit runs it.
    engine = spawn(launcher(), [], {
      env: { PATH: process.env.PATH, LOG_LEVEL: 'warn', REPORT_INTERVAL_MS: '500' },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    await waitFor('the installed node to be active at the cluster', async () => {
      const h = await health();
      return h !== undefined && h.activeNodes >= 1 ? true : undefined;
    });

    const view = await waitFor('status to show the engine connected', async () => {
      const out = await run(launcher(), ['status', '--json']).catch(() => undefined);
      const parsed = out === undefined ? undefined : (JSON.parse(out.stdout) as StatusJson);
      return parsed?.mqtt === 'connected' ? parsed : undefined;
    });
    nodeId = view.nodeId;
    expect(view).toMatchObject({
      nodeName,
      clusterUrl: `http://127.0.0.1:${clusterPort}`,
      engine: 'running',
      mqtt: 'connected',
      instances: [],
    });
    expect(view.nodeId).toMatch(/\S/);
    const text = (await run(launcher(), ['status'])).stdout;
    expect(text).toContain(`node:     ${view.nodeId ?? ''} (${nodeName})`);
    expect(text).toContain('broker:   connected');

    // Stopped by pid (the launcher execs node, so its pid is the engine's): status then says so.
    const proc = engine;
    proc.kill('SIGTERM');
    await engineExited(proc);
    const after = await run(launcher(), ['status']).catch((err: { code?: number; stdout?: string }) => err);
    expect('code' in after ? after.code : 0).toBe(3);
    expect(after.stdout).toContain('engine:   stopped');
  });

  it('takes Oakestra-style -a <address> -p <port> on the installed launcher, over a wrong CLUSTER_URL', async () => {
    const seen = (await run(launcher(), ['status', '--json']).catch((err: { stdout?: string }) => err)).stdout ?? '';
    const since = (JSON.parse(seen) as { since?: number }).since ?? 0;
    engine = spawn(launcher(), ['-a', '127.0.0.1', '-p', String(clusterPort)], {
      env: { PATH: process.env.PATH, LOG_LEVEL: 'warn', CLUSTER_URL: 'http://127.0.0.1:1' },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const view = await waitFor('the restarted engine connected again', async () => {
      const out = await run(launcher(), ['status', '--json']).catch(() => undefined);
      const parsed = out === undefined ? undefined : (JSON.parse(out.stdout) as StatusJson & { since?: number });
      return parsed?.mqtt === 'connected' && (parsed.since ?? 0) > since ? parsed : undefined;
    });
    // Same data directory, same identity: the node id survives the restart.
    expect(view).toMatchObject({ nodeId, clusterUrl: `http://127.0.0.1:${clusterPort}`, engine: 'running' });
    const proc = engine;
    proc.kill('SIGTERM');
    await engineExited(proc);
  });
});
