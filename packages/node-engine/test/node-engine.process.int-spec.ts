import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import type { InstanceSpecDto } from '@canopy/schema';
import { ClusterStandIn } from './support/cluster-stand-in';
import {
  containersOfNode,
  docker,
  ensureTestImage,
  instanceSpec,
  removeContainersOfNode,
  waitFor,
} from '@canopy/testing';

jest.setTimeout(180_000);

const run = promisify(execFile);
const REPO = path.resolve(__dirname, '../../..');
const MAIN = path.join(REPO, 'packages/node-engine/dist/main.js');

function instance(serviceId: string): InstanceSpecDto {
  return instanceSpec(serviceId, { cmd: ['sleep', '3600'], memoryMb: 16 });
}

/** `docker inspect` id and start time: what must not change when only the agent dies. */
async function identity(id: string): Promise<string> {
  return docker('inspect', '--format', '{{.Id}} {{.State.StartedAt}} {{.State.Running}}', id);
}

describe('node engine as a real process: kill -9, flags, status, SIGTERM', () => {
  const nodeId = `proc-${process.pid}-${Date.now().toString(36)}`;
  const cluster = new ClusterStandIn(nodeId);
  const services = ['alpha', 'bravo', 'charlie'];
  let dataDir: string;
  let child: ChildProcess | undefined;

  const exited = (proc: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> =>
    new Promise((resolve) => {
      if (proc.exitCode !== null || proc.signalCode !== null) {
        resolve({ code: proc.exitCode, signal: proc.signalCode });
      } else {
        proc.once('exit', (code, signal) => resolve({ code, signal }));
      }
    });
  const startEngine = (args: string[], env: NodeJS.ProcessEnv): ChildProcess => {
    const proc = spawn(process.execPath, [MAIN, ...args], {
      env: { PATH: process.env.PATH, LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    child = proc;
    return proc;
  };
  const status = async (): Promise<string> => {
    const out = await run(process.execPath, [MAIN, 'status', '--data-dir', dataDir]).catch(
      (err: { stdout?: string }) => ({ stdout: err.stdout ?? '' }),
    );
    return out.stdout;
  };

  beforeAll(async () => {
    await ensureTestImage();
    // The e2e way of starting it: the built entry point, so build it first (incremental, fast when fresh).
    await run('npx', ['tsc', '-b', 'packages/node-engine'], { cwd: REPO, timeout: 150_000 });
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'canopy-node-proc-'));
    await cluster.start();
  });

  afterAll(async () => {
    if (child !== undefined && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited(child);
    }
    await removeContainersOfNode(nodeId);
    await cluster.stop();
    await fs.rm(dataDir, { recursive: true, force: true });
  });

  it('keeps every container through kill -9 and re-adopts them within 10 s of its return', async () => {
    // First life: configured by environment only, as the e2e tests start it.
    startEngine([], {
      CLUSTER_URL: cluster.clusterUrl,
      NODE_TOKEN: cluster.token,
      NODE_NAME: 'proc-worker',
      NODE_DATA_DIR: dataDir,
      REPORT_INTERVAL_MS: '500',
    });
    await waitFor('a heartbeat', () => cluster.heartbeats()[0], 30_000);
    for (const s of services) {
      await cluster.command('deploy', instance(s));
    }
    const running = await waitFor('three RUNNING', () => {
      const up = services.map((s) => cluster.jobStatuses().find((m) => m.serviceId === s && m.status === 'RUNNING'));
      return up.every((m) => m !== undefined) ? up.map((m) => m?.containerId ?? '') : undefined;
    });
    const before = await Promise.all(running.map(identity));

    const firstLife = child!;
    firstLife.kill('SIGKILL');
    expect(await exited(firstLife)).toEqual({ code: null, signal: 'SIGKILL' });
    expect(await Promise.all(running.map(identity))).toEqual(before);
    expect(before.every((line) => line.endsWith(' true'))).toBe(true);

    // While it is down, `status` still tells the operator what runs, from disk and Docker alone.
    const down = await status();
    expect(down).toContain(`node:     ${nodeId} (proc-worker)`);
    expect(down).toContain('engine:   stopped');
    for (const s of services) {
      expect(down).toMatch(new RegExp(`${s}\\s+0\\s+1\\s+yes\\s+\\w{12}\\s+running`));
    }

    // Second life: Oakestra-style flags instead of the environment.
    const from = cluster.messages.length;
    const port = new URL(cluster.clusterUrl).port;
    const restartedAt = Date.now();
    startEngine(
      ['-a', '127.0.0.1', '-p', port, '--token', cluster.token, '--name', 'proc-worker', '--data-dir', dataDir],
      {
        REPORT_INTERVAL_MS: '500',
      },
    );
    await waitFor(
      'all three reported RUNNING with their old containers',
      () => {
        const report = cluster.jobReports(from).at(-1);
        const ids = services.map(
          (s) => report?.instances.find((i) => i.serviceId === s && i.status === 'RUNNING')?.containerId,
        );
        return ids.every((id, n) => id === running[n]);
      },
      10_000,
    );
    expect(Date.now() - restartedAt).toBeLessThan(10_000);
    expect(cluster.jobStatuses(from).filter((m) => m.status === 'CREATING')).toEqual([]);
    expect(await Promise.all(running.map(identity))).toEqual(before);

    const up = await waitFor('status to show the engine connected', async () => {
      const text = await status();
      return text.includes('broker:   connected') ? text : undefined;
    });
    expect(up).toContain(`engine:   running (pid ${child!.pid})`);
  });

  it('removes only the containers the resent desired state no longer lists', async () => {
    const keep = (await containersOfNode(nodeId)).sort();
    expect(keep).toHaveLength(3);
    const from = cluster.messages.length;
    await cluster.command('sync', { instances: [instance('alpha'), instance('bravo')] });
    await waitFor('charlie UNDEPLOYED', () =>
      cluster.jobStatuses(from).find((m) => m.serviceId === 'charlie' && m.status === 'UNDEPLOYED'),
    );
    const left = (await containersOfNode(nodeId)).sort();
    expect(left).toHaveLength(2);
    expect(keep).toEqual(expect.arrayContaining(left));
    expect(cluster.jobStatuses(from).filter((m) => m.status === 'CREATING')).toEqual([]);
  });

  it('exits 0 on SIGTERM and leaves the containers running', async () => {
    const ids = await containersOfNode(nodeId);
    const before = await Promise.all(ids.map(identity));
    const proc = child!;
    proc.kill('SIGTERM');
    expect(await exited(proc)).toEqual({ code: 0, signal: null });
    expect(await Promise.all(ids.map(identity))).toEqual(before);
    expect(await status()).toContain('engine:   stopped');
  });
});
