import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { freePort, waitFor } from '@canopy/testing';

jest.setTimeout(120_000);

const REPO = resolve(__dirname, '../../..');
const MAIN = {
  root: join(REPO, 'packages/root/dist/main.js'),
  cluster: join(REPO, 'packages/cluster/dist/main.js'),
  node: join(REPO, 'packages/node-engine/dist/main.js'),
};

interface Tier {
  proc: ChildProcess;
  out: () => string;
  exit: Promise<number | null>;
}

/** A built tier with a clean environment (only PATH), in its own working directory. */
function start(main: string, cwd: string, args: string[] = [], env: NodeJS.ProcessEnv = {}): Tier {
  const proc = spawn(process.execPath, [main, ...args], {
    cwd,
    env: { PATH: process.env.PATH, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  proc.stderr?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const exit = new Promise<number | null>((done) => proc.once('exit', (code) => done(code)));
  return { proc, out: () => out, exit };
}

async function stop(tier: Tier): Promise<void> {
  if (tier.proc.exitCode === null && tier.proc.signalCode === null) {
    tier.proc.kill('SIGTERM');
    await tier.exit;
  }
}

/** The first JSON log line with `variable` set: what a tier says when it refuses its configuration. */
function refusal(out: string): { variable?: string; err?: string } {
  const line = out.split('\n').find((l) => l.includes('"variable"'));
  return line === undefined ? {} : (JSON.parse(line) as { variable?: string; err?: string });
}

describe('each tier configured from nothing, a YAML file, or a bad value', () => {
  let dir: string;
  const started: Tier[] = [];
  const run = (...args: Parameters<typeof start>): Tier => {
    const tier = start(...args);
    started.push(tier);
    return tier;
  };

  beforeAll(async () => {
    await promisify(execFile)('npx', ['tsc', '-b', 'packages/root', 'packages/cluster', 'packages/node-engine'], {
      cwd: REPO,
      timeout: 150_000,
    });
    dir = mkdtempSync(join(tmpdir(), 'canopy-tier-config-'));
  });

  afterEach(async () => {
    await Promise.all(started.splice(0).map(stop));
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('the root starts with no variable set (defaults: port 10000, ./.canopy/root)', async () => {
    const cwd = mkdtempSync(join(dir, 'root-bare-'));
    const root = run(MAIN.root, cwd);
    // Port 10000 is the default; another process on this shared machine may hold it. Either way the
    // configuration was accepted and the root went as far as listening.
    await waitFor('the root to listen on 10000', () => /root listening|EADDRINUSE.*10000/.test(root.out()), 60_000);
    expect(root.out()).not.toContain('invalid configuration');
    if (root.out().includes('root listening')) {
      expect((await fetch('http://127.0.0.1:10000/health')).status).toBe(200);
    }
  });

  it('the cluster and the node engine with no variable set stop naming the one they need', async () => {
    const cluster = run(MAIN.cluster, mkdtempSync(join(dir, 'cluster-bare-')));
    expect(await cluster.exit).toBe(2);
    expect(refusal(cluster.out())).toMatchObject({ variable: 'CLUSTER_TOKEN', err: 'CLUSTER_TOKEN: is required' });
    const node = run(MAIN.node, mkdtempSync(join(dir, 'node-bare-')));
    expect(await node.exit).toBe(1);
    expect(refusal(node.out())).toMatchObject({ variable: 'NODE_TOKEN', err: 'NODE_TOKEN: is required' });
  });

  it('each tier refuses a bad value naming the variable and the allowed range', async () => {
    const cwd = mkdtempSync(join(dir, 'bad-'));
    const root = run(MAIN.root, cwd, [], { CLUSTER_SUSPECT_MS: '10 seconds' });
    const cluster = run(MAIN.cluster, cwd, [], { CLUSTER_TOKEN: 'tok', NODE_LIVENESS_MS: '50ms' });
    const node = run(MAIN.node, cwd, [], { NODE_TOKEN: 'tok', NODE_MAX_PORTS: '0' });
    expect(await Promise.all([root.exit, cluster.exit, node.exit])).toEqual([2, 2, 1]);
    expect(refusal(root.out()).err).toBe(
      'CLUSTER_SUSPECT_MS: must be a duration in 1s..1h (e.g. 30s, 5m, or milliseconds), got "10 seconds"',
    );
    expect(refusal(cluster.out()).err).toBe(
      'NODE_LIVENESS_MS: must be a duration in 100ms..1d (e.g. 30s, 5m, or milliseconds), got "50ms"',
    );
    expect(refusal(node.out()).err).toBe('NODE_MAX_PORTS: must be a whole number in 1..9999, got "0"');
  });

  it('reads a YAML file (--config or CANOPY_CONFIG); the environment overrides it; an unknown key is refused', async () => {
    const rootFile = join(dir, 'root.yaml');
    const port = await freePort();
    writeFileSync(rootFile, `port: 1\nhost: 127.0.0.1\ndataDir: ${join(dir, 'root-data')}\nclusterLostMs: 5m\n`);
    const root = run(MAIN.root, dir, ['--config', rootFile], { ROOT_PORT: String(port) });
    await waitFor('the root to listen', () => root.out().includes('root listening'), 60_000);
    expect((await fetch(`http://127.0.0.1:${port}/health`)).status).toBe(200);

    const clusterFile = join(dir, 'cluster.yaml');
    writeFileSync(
      clusterFile,
      `CLUSTER_TOKEN: from-file\nrootUrl: http://127.0.0.1:${port}\nport: 0\nhost: 127.0.0.1\nmqttPort: 0\n` +
        `dataDir: ${join(dir, 'cluster-data')}\nsyncIntervalMs: 2s\n`,
    );
    const cluster = run(MAIN.cluster, dir, [], { CANOPY_CONFIG: clusterFile });
    await waitFor('the cluster to listen', () => cluster.out().includes('cluster listening'), 60_000);

    const badFile = join(dir, 'bad.yaml');
    writeFileSync(badFile, 'clusterToken: t\nnodeLivenesMs: 5s\n');
    const bad = run(MAIN.cluster, dir, ['--config', badFile]);
    expect(await bad.exit).toBe(2);
    expect(refusal(bad.out())).toMatchObject({ variable: 'nodeLivenesMs' });
    expect(refusal(bad.out()).err).toContain(`unknown key "nodeLivenesMs" in ${badFile}`);

    const nodeFile = join(dir, 'node.yaml');
    writeFileSync(nodeFile, 'token: from-file\nreportIntervalMs: soon\n');
    const node = run(MAIN.node, dir, ['--config', nodeFile]);
    expect(await node.exit).toBe(1);
    expect(refusal(node.out()).err).toBe(
      `REPORT_INTERVAL_MS: must be a duration in 10ms..1h (e.g. 30s, 5m, or milliseconds), got "soon" (${nodeFile} key reportIntervalMs)`,
    );
  });
});
