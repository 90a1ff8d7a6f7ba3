#!/usr/bin/env node
/**
 * bench/node-footprint: the node engine's resident memory and CPU share at idle, with 0 and with 50
 * running instances, beside the Docker daemon's own figures read in the same run (and a bare
 * Node.js process as the floor). The engine runs as a real child process (`dist/main.js`, env only,
 * default 2 s reporting) against a real cluster started in this process, with a minimal Socket.IO
 * peer playing the root.
 *
 *   pnpm build && node bench/node-footprint.js [--seconds 60] [--instances 50]
 *
 * In production shape (the V8 flags of packages/node-engine/deploy/canopy-node-engine.service):
 *
 *   ENGINE_NODE_FLAGS="--max-semi-space-size=1 --max-old-space-size=96 --optimize-for-size --lite-mode --no-expose-wasm" \
 *     node bench/node-footprint.js --seconds 30
 *
 * RSS is VmRSS from /proc/<pid>/status, sampled every 2 s; CPU is the utime+stime delta from
 * /proc/<pid>/stat over the window, as a percentage of one core.
 */
'use strict';
const { mkdtempSync, readFileSync, rmSync, existsSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const { createServer } = require('node:http');
const { execFileSync, spawn } = require('node:child_process');

const ROOT = join(__dirname, '..');
const fromCluster = (name) => require(require.resolve(name, { paths: [join(ROOT, 'packages/cluster')] }));
const pino = fromCluster('pino');
const { Server } = fromCluster('socket.io');
const { startCluster } = require('../packages/cluster/dist/index.js');
const { option } = require('./lib/args');

const arg = (name, fallback) => Number(option(name, fallback));
const SECONDS = arg('seconds', 60);
const INSTANCES = arg('instances', 50);
/** V8 flags for the engine; the systemd unit uses the same ones (see packages/node-engine/deploy/canopy-node-engine.service). */
const NODE_FLAGS = (process.env.ENGINE_NODE_FLAGS ?? '').split(' ').filter(Boolean);
/** Extra environment for the engine, `K=V K=V` (the systemd unit sets MALLOC_ARENA_MAX=2, see there). */
const NODE_ENV_EXTRA = Object.fromEntries(
  (process.env.ENGINE_ENV ?? '')
    .split(' ')
    .filter(Boolean)
    .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
);
const SAMPLE_MS = 2000;
const WARMUP_MS = 6000;
const IMAGE = 'canopy-test/busybox:latest';
const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function rssKb(pid) {
  const m = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : NaN;
}
function cpuTicks(pid) {
  const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may contain spaces) start at "state"; utime/stime are 14/15.
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return Number(rest[11]) + Number(rest[12]);
}
function pidOf(name) {
  try {
    return execFileSync('pidof', ['-s', name]).toString().trim() || undefined;
  } catch {
    return undefined;
  }
}

/** Samples every process in `pids` for `seconds`; returns mean/max RSS (MB) and CPU % of one core. */
async function measure(pids, seconds) {
  const rss = Object.fromEntries(Object.keys(pids).map((k) => [k, []]));
  const startTicks = {};
  for (const [k, pid] of Object.entries(pids)) {
    startTicks[k] = cpuTicks(pid);
  }
  const started = process.hrtime.bigint();
  const end = Date.now() + seconds * 1000;
  while (Date.now() < end) {
    for (const [k, pid] of Object.entries(pids)) {
      rss[k].push(rssKb(pid));
    }
    await sleep(Math.min(SAMPLE_MS, Math.max(0, end - Date.now())));
  }
  const wallS = Number(process.hrtime.bigint() - started) / 1e9;
  const out = {};
  for (const [k, pid] of Object.entries(pids)) {
    const samples = rss[k];
    out[k] = {
      rssMeanMb: samples.reduce((a, b) => a + b, 0) / samples.length / 1024,
      rssMaxMb: Math.max(...samples) / 1024,
      cpuPct: ((cpuTicks(pid) - startTicks[k]) / CLK_TCK / wallS) * 100,
    };
  }
  return out;
}

function spec(n) {
  return {
    serviceId: `bench${n}`,
    instanceNumber: 0,
    generation: 1,
    jobName: `bench.default.s${n}.default`,
    image: IMAGE,
    cmd: ['sleep', '3600'],
    environment: [],
    ports: [],
    memoryMb: 16,
    vcpus: 0,
    vgpus: 0,
    oneShot: false,
    privileged: false,
  };
}

async function main() {
  execFileSync('bash', [join(ROOT, 'scripts/build-test-image.sh')], { stdio: 'ignore' });
  const work = mkdtempSync(join(tmpdir(), 'canopy-footprint-'));
  const log = pino({ level: process.env.LOG_LEVEL ?? 'warn' }, pino.destination(2));
  const token = `footprint-${Date.now()}`;

  // The root, reduced to what a cluster needs: auth, sync answers, status acks.
  const desired = new Map();
  const running = new Set();
  let rootSocket;
  const http = createServer();
  const io = new Server(http);
  io.of('/clusters').use((socket, next) =>
    next(socket.handshake.auth?.token === token ? undefined : new Error('unauthorized')),
  );
  io.of('/clusters').on('connection', (socket) => {
    rootSocket = socket;
    socket.on('cluster:sync', (_p, ack) => ack({ clusterId: 'bench', desired: [...desired.values()] }));
    socket.on('instance:status', (r, ack) => {
      if (r.status === 'RUNNING') {
        running.add(r.serviceId);
      } else {
        running.delete(r.serviceId);
      }
      ack({ ok: true });
    });
  });
  await new Promise((r) => http.listen(0, '127.0.0.1', r));

  const cluster = await startCluster(
    {
      rootUrl: `http://127.0.0.1:${http.address().port}`,
      clusterToken: token,
      clusterName: 'footprint',
      port: 0,
      host: '127.0.0.1',
      mqttPort: 0,
      dataDir: join(work, 'cluster'),
      nodeLivenessMs: 10_000,
      syncIntervalMs: 10_000,
      resourcesIntervalMs: 5_000,
    },
    log,
  );

  const nodeDir = join(work, 'node');
  let engine;
  let bare;
  let nodeId;
  try {
    engine = spawn(process.execPath, [...NODE_FLAGS, join(ROOT, 'packages/node-engine/dist/main.js')], {
      env: {
        PATH: process.env.PATH,
        CLUSTER_URL: `http://127.0.0.1:${cluster.port}`,
        NODE_TOKEN: cluster.nodeToken,
        NODE_NAME: `footprint-${process.pid}`,
        NODE_DATA_DIR: nodeDir,
        ...NODE_ENV_EXTRA,
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    bare = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    const statusFile = join(nodeDir, 'engine-status.json');
    for (let i = 0; i < 100 && !existsSync(statusFile); i++) {
      await sleep(200);
    }
    nodeId = JSON.parse(readFileSync(statusFile, 'utf8')).nodeId;

    const pids = { 'node engine': engine.pid, 'bare node': bare.pid };
    const dockerd = pidOf('dockerd');
    const containerd = pidOf('containerd');
    if (dockerd) {
      pids.dockerd = dockerd;
    }
    if (containerd) {
      pids.containerd = containerd;
    }

    process.stderr.write(`warming up, then measuring ${SECONDS} s with 0 instances\n`);
    await sleep(WARMUP_MS);
    const idle = await measure(pids, SECONDS);

    process.stderr.write(`deploying ${INSTANCES} instances\n`);
    const deployStart = Date.now();
    for (let n = 0; n < INSTANCES; n++) {
      const s = spec(n);
      desired.set(s.serviceId, s);
      await rootSocket.timeout(10_000).emitWithAck('instance:deploy', s);
    }
    while (running.size < INSTANCES) {
      if (Date.now() - deployStart > 300_000) {
        throw new Error(`only ${running.size} instances RUNNING after 300 s`);
      }
      await sleep(500);
    }
    process.stderr.write(
      `${INSTANCES} RUNNING after ${((Date.now() - deployStart) / 1000).toFixed(1)} s; measuring ${SECONDS} s\n`,
    );
    await sleep(WARMUP_MS);
    const loaded = await measure(pids, SECONDS);

    const rows = [];
    for (const name of Object.keys(pids)) {
      for (const [phase, m] of [
        ['0 instances', idle[name]],
        [`${INSTANCES} instances`, loaded[name]],
      ]) {
        rows.push([name, phase, m.rssMeanMb.toFixed(1), m.rssMaxMb.toFixed(1), m.cpuPct.toFixed(2)]);
      }
    }
    const header = ['process', 'phase', 'RSS mean MB', 'RSS max MB', 'CPU % of one core'];
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
    const line = (cells) =>
      `| ${cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ')} |`;
    console.log(
      `\nnode footprint, ${SECONDS} s windows, ${SAMPLE_MS / 1000} s reporting, ${INSTANCES} × busybox sleep (16 MB limit)\n`,
    );
    console.log(line(header));
    console.log(`|${widths.map((w, i) => (i < 2 ? ` ${'-'.repeat(w)} ` : ` ${'-'.repeat(w - 1)}: `)).join('|')}|`);
    for (const r of rows) {
      console.log(line(r));
    }
  } finally {
    if (engine && engine.exitCode === null) {
      engine.kill('SIGTERM');
      await new Promise((r) => engine.once('exit', r));
    }
    if (bare) {
      bare.kill('SIGKILL');
    }
    await cluster.stop();
    await new Promise((r) => io.close(() => r()));
    if (nodeId) {
      const ids = execFileSync('docker', ['ps', '-aq', '--filter', `label=io.canopy.node-id=${nodeId}`])
        .toString()
        .trim();
      if (ids) {
        execFileSync('docker', ['rm', '-f', ...ids.split('\n')], { stdio: 'ignore' });
      }
    }
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
