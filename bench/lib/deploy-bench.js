/**
 * The harness both deploy-latency benches share: Canopy in embedded mode in this process (each
 * tier still on its real wire), an admin session, the raw dockerode baseline, the alternating run
 * loop with one uncounted warm-up, and the printed comparison. Each bench supplies only how it
 * deploys, how it sees "running" and how it removes.
 */
'use strict';
const { mkdtempSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const { createServer } = require('node:net');
const { execFileSync } = require('node:child_process');
const pino = require(require.resolve('pino', { paths: [join(__dirname, '../../packages/cli')] }));
const Docker = require(require.resolve('dockerode', { paths: [join(__dirname, '../../packages/node-engine')] }));
const { startEmbedded } = require('../../packages/cli/dist/index.js');

const RUNS = Number(process.env.BENCH_RUNS ?? 20);
const IMAGE = 'canopy-test/busybox:latest';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const freePort = () =>
  new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });

function stats(samples) {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
  return { n: sorted.length, median: at(0.5), p95: at(0.95), min: sorted[0], max: sorted[sorted.length - 1] };
}

/**
 * Runs one bench. `bench` = {name, title, canopyLabel, rawContainer: Docker create options,
 * setup(ctx) → state, deploy(ctx, state, run) → handle, isRunning(ctx, handle) → bool (throws on
 * failure), remove(ctx, handle) → serviceId whose containers must be gone}.
 */
async function runDeployBench(bench) {
  execFileSync('bash', [join(__dirname, '../../scripts/build-test-image.sh')], { stdio: 'ignore' });
  const work = mkdtempSync(join(tmpdir(), 'canopy-bench-'));
  const password = `bench-${Date.now()}`;
  const nodeName = `bench-${process.pid}`;
  const env = {
    ...process.env,
    CANOPY_ADMIN_PASSWORD: password,
    ROOT_PORT: String(await freePort()),
    CLUSTER_PORT: String(await freePort()),
    MQTT_PORT: String(await freePort()),
    NODE_NAME: nodeName,
  };
  const log = pino({ level: process.env.LOG_LEVEL ?? 'warn' }, pino.destination(2));
  const canopy = await startEmbedded({ dataDir: work, env }, log);
  const docker = new Docker();
  let token = '';
  const call = async (method, path, body, type = 'application/json') => {
    const res = await fetch(canopy.root.url + path, {
      method,
      headers: { 'content-type': type, authorization: `Bearer ${token}` },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text === '' ? undefined : JSON.parse(text) };
  };
  const ctx = { call, docker, nodeName, sleep };
  try {
    token = (await call('POST', '/api/auth/login', { username: 'Admin', password })).body.token;
    for (let i = 0; ; i++) {
      const active = (await call('GET', '/api/clusters/active')).body;
      if (active.some((c) => c.resources && c.resources.activeNodes > 0)) {
        break;
      }
      if (i > 300) {
        throw new Error('no active cluster with a node after 30 s');
      }
      await sleep(100);
    }
    const state = await bench.setup(ctx);
    const canopyMs = [];
    const rawMs = [];
    // One warm-up of each, not counted; the two alternate so that load drift hits both alike.
    for (let run = -1; run < RUNS; run++) {
      const r0 = performance.now();
      const c = await docker.createContainer({ ...bench.rawContainer, Labels: { 'io.canopy.bench': 'raw' } });
      await c.start();
      const raw = performance.now() - r0;
      await c.remove({ force: true });

      const t0 = performance.now();
      const handle = await bench.deploy(ctx, state, run);
      while (!(await bench.isRunning(ctx, handle))) {
        if (performance.now() - t0 > 60_000) {
          throw new Error('not running after 60 s');
        }
        await sleep(5);
      }
      const elapsed = performance.now() - t0;
      if (run >= 0) {
        canopyMs.push(elapsed);
        rawMs.push(raw);
      }
      const serviceId = await bench.remove(ctx, handle);
      for (let i = 0; i < 300; i++) {
        const left = await docker.listContainers({
          all: true,
          filters: { label: [`io.canopy.service-id=${serviceId}`] },
        });
        if (left.length === 0) {
          break;
        }
        await sleep(100);
      }
    }
    const c = stats(canopyMs);
    const r = stats(rawMs);
    const f = (x) => x.toFixed(1).padStart(8);
    const label = (s) => s.padEnd(34);
    process.stdout.write(`\n${bench.title} over ${RUNS} runs (ms)\n`);
    process.stdout.write(`${label('')} median      p95      min      max\n`);
    process.stdout.write(`${label(bench.canopyLabel)}${f(c.median)} ${f(c.p95)} ${f(c.min)} ${f(c.max)}\n`);
    process.stdout.write(`${label('raw dockerode create+start')}${f(r.median)} ${f(r.p95)} ${f(r.min)} ${f(r.max)}\n`);
    process.stdout.write(`${label('ratio (canopy / raw)')}${f(c.median / r.median)} ${f(c.p95 / r.p95)}\n`);
    process.stdout.write(
      `${JSON.stringify({ bench: bench.name, runs: RUNS, canopy: c, raw: r, ratioMedian: c.median / r.median, ratioP95: c.p95 / r.p95 })}\n`,
    );
  } finally {
    const leftovers = await docker.listContainers({
      all: true,
      filters: { label: [`io.canopy.node-id=${canopy.node.nodeId}`] },
    });
    for (const l of leftovers) {
      await docker.getContainer(l.Id).remove({ force: true });
    }
    await canopy.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

/** `node bench/x.js`: exit 0 after the figures, 1 with the stack on failure. */
function main(bench) {
  runDeployBench(bench).then(
    () => process.exit(0),
    (error) => {
      process.stderr.write(`${bench.name} failed: ${error.stack || error}\n`);
      process.exit(1);
    },
  );
}

module.exports = { IMAGE, main };
