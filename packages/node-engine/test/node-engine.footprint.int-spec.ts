import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { ClusterStandIn } from './support/cluster-stand-in';
import { ensureTestImage, instanceSpec, removeContainersOfNode, waitFor } from '@canopy/testing';

jest.setTimeout(180_000);

const run = promisify(execFile);
const REPO = path.resolve(__dirname, '../../..');
const DIST = path.join(REPO, 'packages/node-engine/dist');

/**
 * Packages the engine must not load at idle (issue 14 §5, docs/benchmarks.md "Node footprint"):
 * each is megabytes of resident code behind a path Canopy never takes in normal operation.
 */
const DEFERRED = [
  'ssh2',
  '@grpc/grpc-js',
  '@grpc/proto-loader',
  'protobufjs',
  'worker-timers',
  'libphonenumber-js',
  'ws',
  'socks',
  'ip-address',
  'smart-buffer',
  'tar-fs',
  'tar-stream',
];
/**
 * Node's own modules behind the global `fetch` (undici, http2, web streams): about 9 MB resident
 * once touched, so the engine registers over `node:http` (src/registration/http-post.ts).
 */
const NOT_LOADED_BUILTINS = ['internal/deps/undici/undici', 'http2'];
/**
 * Loaded only to word a rejection: valid commands and desired state pass the accept-only check of
 * src/validation/node-inputs.ts (descriptions generated from the same classes).
 */
const VALIDATION = ['class-validator', 'class-transformer', 'validator'];
/** Also absent when the engine is configured by its environment (no config file to parse). */
const NOT_WITHOUT_A_FILE = ['yaml'];

/** The V8 flags the systemd unit starts the engine with: the test runs the production shape. */
async function unitNodeFlags(): Promise<string[]> {
  const unit = await fs.readFile(path.join(REPO, 'packages/node-engine/deploy/canopy-node-engine.service'), 'utf8');
  const execStart = /^ExecStart=\S+ (.*) \S+main\.js$/m.exec(unit)?.[1] ?? '';
  return execStart.split(' ').filter((arg) => arg.startsWith('--'));
}

/** The package a loaded file belongs to (pnpm layout: the last `node_modules/<name>` wins). */
function packageOf(file: string): string | undefined {
  const m = /.*node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(file);
  return m?.[1];
}

/**
 * Written next to the engine's data: on SIGUSR2 the engine process writes the files in its own
 * `require.cache` (less the stand-ins of src/lazy-modules.ts), the list of what it really loaded, so the test reads it from the running daemon.
 */
const PRELOAD = `
process.on('SIGUSR2', () => {
  const file = process.env.MODULE_LIST_FILE;
  const real = Object.entries(require.cache).filter(([, m]) => m && !m.deferredUntilFirstUse);
  const builtins = process.moduleLoadList.filter((m) => m.startsWith('NativeModule ')).map((m) => m.slice(13));
  require('node:fs').writeFileSync(file + '.tmp', JSON.stringify({ files: real.map(([f]) => f), builtins }));
  require('node:fs').renameSync(file + '.tmp', file);
});
`;

describe('node engine footprint: what the running daemon has loaded', () => {
  const nodeId = `footprint-${process.pid}-${Date.now().toString(36)}`;
  const cluster = new ClusterStandIn(nodeId);
  let dir: string;
  let child: ChildProcess | undefined;

  const loadedModules = async (): Promise<{ packages: Set<string>; builtins: string[] }> => {
    const listFile = path.join(dir, 'modules.json');
    await fs.rm(listFile, { force: true });
    child!.kill('SIGUSR2');
    const text = await waitFor('the module list', () => fs.readFile(listFile, 'utf8').catch(() => undefined));
    const { files, builtins } = JSON.parse(text) as { files: string[]; builtins: string[] };
    return { packages: new Set(files.map(packageOf).filter((p): p is string => p !== undefined)), builtins };
  };

  beforeAll(async () => {
    await ensureTestImage();
    await run('npx', ['tsc', '-b', 'packages/node-engine'], { cwd: REPO, timeout: 150_000 });
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'canopy-node-footprint-'));
    await fs.writeFile(path.join(dir, 'preload.js'), PRELOAD);
    await cluster.start();
  });

  afterAll(async () => {
    if (child !== undefined && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await new Promise((resolve) => child!.once('exit', resolve));
    }
    await removeContainersOfNode(nodeId);
    await cluster.stop();
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('runs an instance without loading ssh2, gRPC, protobuf, worker timers, libphonenumber, ws, socks, tar-fs, yaml, class-validator or undici', async () => {
    const flags = await unitNodeFlags();
    expect(flags).toContain('--lite-mode');
    child = spawn(process.execPath, [...flags, '--require', path.join(dir, 'preload.js'), path.join(DIST, 'main.js')], {
      env: {
        PATH: process.env.PATH,
        LOG_LEVEL: 'warn',
        CLUSTER_URL: cluster.clusterUrl,
        NODE_TOKEN: cluster.token,
        NODE_NAME: 'footprint-worker',
        NODE_DATA_DIR: path.join(dir, 'data'),
        REPORT_INTERVAL_MS: '500',
        MODULE_LIST_FILE: path.join(dir, 'modules.json'),
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    await waitFor('a heartbeat', () => cluster.heartbeats()[0], 30_000);
    const lean = instanceSpec('lean', { cmd: ['sleep', '3600'], memoryMb: 16 });
    await cluster.command('deploy', lean);
    // What a cluster sends a node at idle: the full desired set.
    await cluster.command('sync', { instances: [lean] });
    await waitFor('the instance RUNNING', () =>
      cluster.jobStatuses().find((m) => m.serviceId === 'lean' && m.status === 'RUNNING'),
    );
    // A report after the deploy: Docker stats, events and the MQTT link have all been used.
    const from = cluster.messages.length;
    await waitFor('a jobs report', () => cluster.jobReports(from)[0]);

    const { packages: loaded, builtins } = await loadedModules();
    // The list is the real one: the engine's own working dependencies are in it.
    expect([...loaded]).toEqual(expect.arrayContaining(['dockerode', 'docker-modem', 'mqtt', 'pino']));
    expect(builtins).toEqual(expect.arrayContaining(['http', 'net']));
    expect(DEFERRED.concat(NOT_WITHOUT_A_FILE, VALIDATION).filter((p) => loaded.has(p))).toEqual([]);
    expect(NOT_LOADED_BUILTINS.filter((m) => builtins.includes(m))).toEqual([]);
  });
});

/** `loaded(name)`: whether the real package (not a stand-in) is in this process's require.cache. */
const LOADED = `const loaded = (name) => Object.entries(require.cache).some(
  ([f, m]) => !m.deferredUntilFirstUse && f.includes('/node_modules/' + name + '/'));`;

describe('the deferred modules still work when they are used', () => {
  const script = (body: string): Promise<{ stdout: string }> =>
    run(
      process.execPath,
      ['-e', `require(${JSON.stringify(path.join(DIST, 'lazy-modules.js'))});\n${LOADED}\n${body}`],
      {
        cwd: path.join(REPO, 'packages/node-engine'),
      },
    );

  it("loads ssh2 on docker-modem's first ssh connection and mqtt's worker timers and libphonenumber on first call", async () => {
    const { stdout } = await script(`
      const path = require('node:path');
      const modem = require.resolve('docker-modem', { paths: [path.dirname(require.resolve('dockerode'))] });
      const before = loaded('ssh2');
      const agent = require(path.join(path.dirname(modem), 'ssh.js'))({ host: '127.0.0.1', port: 1 });
      const timers = require(require.resolve('worker-timers', { paths: [path.dirname(require.resolve('mqtt'))] }));
      const timersBefore = loaded('worker-timers-broker');
      try { timers.clearTimeout(0); } catch {}
      const timersAfter = loaded('worker-timers-broker');
      const phoneBefore = loaded('libphonenumber-js');
      const phone = require('class-validator').isPhoneNumber('+14155552671');
      console.log(JSON.stringify({ before, after: loaded('ssh2'), agent: agent instanceof require('node:http').Agent,
        timersBefore, timersAfter, phoneBefore, phone, phoneAfter: loaded('libphonenumber-js') }));
    `);
    expect(JSON.parse(stdout)).toEqual({
      before: false,
      after: true,
      agent: true,
      timersBefore: false,
      timersAfter: true,
      phoneBefore: false,
      phone: true,
      phoneAfter: true,
    });
  });

  it('still builds a BuildKit session through the real gRPC module when asked to', async () => {
    const { stdout } = await script(`
      const path = require('node:path');
      const session = require(path.join(path.dirname(require.resolve('dockerode')), 'session.js'));
      const before = loaded('@grpc/grpc-js');
      // A modem that fails the hijack at once: the session code runs up to its first Docker call.
      const docker = { modem: { dial: (_opts, cb) => cb(new Error('no daemon here')) } };
      session(docker, undefined, (err) => console.log(JSON.stringify({ before, after: loaded('@grpc/grpc-js'), err: err && err.message })));
    `);
    expect(JSON.parse(stdout)).toEqual({ before: false, after: true, err: 'no daemon here' });
  });

  it("loads mqtt's WebSocket and SOCKS transports and dockerode's tar-fs when they are used", async () => {
    const { stdout } = await script(`
      const path = require('node:path');
      const mqtt = require('mqtt');
      const before = { ws: loaded('ws'), socks: loaded('socks'), tar: loaded('tar-stream') };
      // Nothing listens on port 1: each client fails its connection and is closed.
      const ws = mqtt.connect('ws://127.0.0.1:1', { reconnectPeriod: 0 });
      ws.on('error', () => {});
      const socks = mqtt.connect('mqtt://127.0.0.1:1', { reconnectPeriod: 0, socksProxy: 'socks5://127.0.0.1:1' });
      socks.on('error', () => {});
      const tar = require(require.resolve('tar-fs', { paths: [path.dirname(require.resolve('dockerode'))] }));
      const pack = tar.pack(__dirname, { entries: ['package.json'] });
      let bytes = 0;
      pack.on('data', (b) => { bytes += b.length; });
      pack.on('end', () => {
        ws.end(true); socks.end(true);
        console.log(JSON.stringify({ before, after: { ws: loaded('ws'), socks: loaded('socks'), tar: loaded('tar-stream') }, tarred: bytes > 512 }));
      });
    `);
    expect(JSON.parse(stdout)).toEqual({
      before: { ws: false, socks: false, tar: false },
      after: { ws: true, socks: true, tar: true },
      tarred: true,
    });
  });
});
