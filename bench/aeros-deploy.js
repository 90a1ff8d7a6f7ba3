#!/usr/bin/env node
/**
 * bench/aeros-deploy: time from the LLO API's `POST /v1/service-components` (an aerOS
 * ServiceComponentDocker in YAML) to the component `Running` seen at `GET /v1/service-components/<name>`,
 * beside a raw baseline in the same run: dockerode create + start of the same container (image,
 * args, env, published port). Canopy runs in embedded mode in this process (root + cluster + node
 * engine, each tier still talking over its real wire). Runs alternate so load drift hits both alike.
 *
 *   pnpm build && node bench/aeros-deploy.js            (BENCH_RUNS=20 by default)
 */
'use strict';
const { mkdtempSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const { createServer } = require('node:net');
const { execFileSync } = require('node:child_process');
const pino = require(require.resolve('pino', { paths: [join(__dirname, '../packages/cli')] }));
const Docker = require(require.resolve('dockerode', { paths: [join(__dirname, '../packages/node-engine')] }));
const { startEmbedded } = require('../packages/cli/dist/index.js');

const RUNS = Number(process.env.BENCH_RUNS ?? 20);
const IMAGE = 'canopy-test/busybox:latest';
const CMD = ['httpd', '-f', '-p', '80', '-h', '/www'];
const ENV = ['GREETING=hello'];

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

const cr = (name, nodeName) => `apiVersion: llo.aeros-project.eu/v1alpha1
kind: ServiceComponentDocker
metadata:
  name: ${name}
  labels:
    app.kubernetes.io/part-of: Service_bench
spec:
  selectedIE:
    id: urn:ngsi-ld:InfrastructureElement:bench:${nodeName}
    hostname: ${nodeName}
  image: ${IMAGE}
  exposePorts: false
  ports:
    - number: 80
      protocol: TCP
  cliArgs:
    - key: httpd
    - key: -f
    - key: -p
      value: "80"
    - key: -h
      value: /www
  envVars:
    - key: GREETING
      value: hello
`;

async function main() {
  execFileSync('bash', [join(__dirname, '../scripts/build-test-image.sh')], { stdio: 'ignore' });
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
  const api = canopy.root.url;
  const docker = new Docker();
  let token = '';
  const call = async (method, path, body, type = 'application/json') => {
    const res = await fetch(api + path, {
      method,
      headers: { 'content-type': type, authorization: `Bearer ${token}` },
      body,
    });
    const text = await res.text();
    return { status: res.status, body: text === '' ? undefined : JSON.parse(text) };
  };
  try {
    token = (await call('POST', '/api/auth/login', JSON.stringify({ username: 'Admin', password }))).body.token;
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
    const canopyMs = [];
    const rawMs = [];
    // One warm-up of each, not counted.
    for (let run = -1; run < RUNS; run++) {
      const r0 = performance.now();
      const c = await docker.createContainer({
        Image: IMAGE,
        Cmd: CMD,
        Env: ENV,
        Labels: { 'io.canopy.bench': 'raw' },
        ExposedPorts: { '80/tcp': {} },
        HostConfig: { PortBindings: { '80/tcp': [{ HostPort: '' }] } },
      });
      await c.start();
      const raw = performance.now() - r0;
      await c.remove({ force: true });

      const name = `bench-${run + 1}`;
      const t0 = performance.now();
      const created = await call('POST', '/v1/service-components', cr(name, nodeName), 'application/yaml');
      if (created.status !== 201) {
        throw new Error(`POST answered ${created.status}: ${JSON.stringify(created.body)}`);
      }
      let got;
      for (;;) {
        got = (await call('GET', `/v1/service-components/${name}?type=docker`)).body;
        const s = got.status.serviceComponentStatus;
        if (s === 'Running') {
          break;
        }
        if (s === 'Failed') {
          throw new Error(`component ${name} failed: ${got.status.detail}`);
        }
        if (performance.now() - t0 > 60_000) {
          throw new Error(`component ${name} not Running after 60 s`);
        }
        await sleep(5);
      }
      const elapsed = performance.now() - t0;
      if (run >= 0) {
        canopyMs.push(elapsed);
        rawMs.push(raw);
      }
      await call('DELETE', `/v1/service-components/${name}?type=docker`);
      for (let i = 0; i < 300; i++) {
        const left = await docker.listContainers({
          all: true,
          filters: { label: [`io.canopy.service-id=${got.status.serviceId}`] },
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
    process.stdout.write(
      `\naerOS CR deploy latency over ${RUNS} runs (ms), image ${IMAGE}, args, env, one published port\n`,
    );
    process.stdout.write(`                                   median      p95      min      max\n`);
    process.stdout.write(`canopy CR POST→Running at LLO API ${f(c.median)} ${f(c.p95)} ${f(c.min)} ${f(c.max)}\n`);
    process.stdout.write(`raw dockerode create+start        ${f(r.median)} ${f(r.p95)} ${f(r.min)} ${f(r.max)}\n`);
    process.stdout.write(`ratio (canopy / raw)              ${f(c.median / r.median)} ${f(c.p95 / r.p95)}\n`);
    process.stdout.write(
      `${JSON.stringify({ bench: 'aeros-deploy', runs: RUNS, canopy: c, raw: r, ratioMedian: c.median / r.median, ratioP95: c.p95 / r.p95 })}\n`,
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

main().then(
  () => process.exit(0),
  (error) => {
    process.stderr.write(`aeros-deploy failed: ${error.stack || error}\n`);
    process.exit(1);
  },
);
