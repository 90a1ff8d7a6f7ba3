#!/usr/bin/env node
/**
 * bench/deploy-latency: time from `POST /api/service/<id>/instance` to RUNNING seen at the root,
 * beside a raw baseline measured in the same run: dockerode create + start of the same image with
 * the same options. Canopy runs in embedded mode in this process (root + cluster + node engine,
 * each tier still talking over its real wire). Runs alternate between the two so that drift in
 * the machine's load hits both alike.
 *
 *   pnpm build && node bench/deploy-latency.js            (BENCH_RUNS=20 by default)
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
const MEMORY_MB = 64;
const VCPUS = 1;

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

async function main() {
  execFileSync('bash', [join(__dirname, '../scripts/build-test-image.sh')], { stdio: 'ignore' });
  const work = mkdtempSync(join(tmpdir(), 'canopy-bench-'));
  const password = `bench-${Date.now()}`;
  const env = {
    ...process.env,
    CANOPY_ADMIN_PASSWORD: password,
    ROOT_PORT: String(await freePort()),
    CLUSTER_PORT: String(await freePort()),
    MQTT_PORT: String(await freePort()),
    NODE_NAME: `bench-${process.pid}`,
  };
  const log = pino({ level: process.env.LOG_LEVEL ?? 'warn' }, pino.destination(2));
  const canopy = await startEmbedded({ dataDir: work, env }, log);
  const api = canopy.root.url;
  const docker = new Docker();
  let token = '';
  const call = async (method, path, body) => {
    const res = await fetch(api + path, {
      method,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: await res.json() };
  };
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
    const sla = {
      sla_version: 'v2.0',
      customerID: 'Admin',
      applications: [
        {
          applicationID: '',
          application_name: 'bench',
          application_namespace: 'bench',
          application_desc: '',
          microservices: [
            {
              microserviceID: '',
              microservice_name: 'web',
              microservice_namespace: 'bench',
              virtualization: 'container',
              code: IMAGE,
              cmd: CMD,
              memory: MEMORY_MB,
              vcpus: VCPUS,
              port: '80',
            },
          ],
        },
      ],
    };
    const serviceId = (await call('POST', '/api/application', sla)).body.applications[0].microservices[0];

    const canopyMs = [];
    const rawMs = [];
    // One warm-up of each, not counted.
    for (let run = -1; run < RUNS; run++) {
      // Raw baseline: the same image and options straight through dockerode.
      const r0 = performance.now();
      const c = await docker.createContainer({
        Image: IMAGE,
        Cmd: CMD,
        Labels: { 'io.canopy.bench': 'raw' },
        ExposedPorts: { '80/tcp': {} },
        HostConfig: {
          PortBindings: { '80/tcp': [{ HostPort: '' }] },
          Memory: MEMORY_MB * 1024 * 1024,
          NanoCpus: VCPUS * 1e9,
        },
      });
      await c.start();
      const raw = performance.now() - r0;
      await c.remove({ force: true });

      const t0 = performance.now();
      const deployed = await call('POST', `/api/service/${serviceId}/instance`);
      const n = deployed.body.instance_number;
      let status = deployed.body.status;
      while (status !== 'RUNNING') {
        await sleep(5);
        const svc = (await call('GET', `/api/service/${serviceId}`)).body;
        const inst = svc.instance_list.find((x) => x.instance_number === n);
        status = inst ? inst.status : 'missing';
        if (['FAILED', 'DEAD', 'NO_WORKER_CAPACITY', 'NoActiveClusterWithCapacity', 'missing'].includes(status)) {
          throw new Error(`instance ${n} ended ${status}: ${inst && inst.status_detail}`);
        }
        if (performance.now() - t0 > 60_000) {
          throw new Error(`instance ${n} not RUNNING after 60 s`);
        }
      }
      const elapsed = performance.now() - t0;
      if (run >= 0) {
        canopyMs.push(elapsed);
        rawMs.push(raw);
      }
      await call('DELETE', `/api/service/${serviceId}/instance/${n}`);
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
    process.stdout.write(
      `\ndeploy latency over ${RUNS} runs (ms), image ${IMAGE}, ${MEMORY_MB} MB, ${VCPUS} vCPU, one published port\n`,
    );
    process.stdout.write(`                               median      p95      min      max\n`);
    process.stdout.write(`canopy POST→RUNNING at root  ${f(c.median)} ${f(c.p95)} ${f(c.min)} ${f(c.max)}\n`);
    process.stdout.write(`raw dockerode create+start   ${f(r.median)} ${f(r.p95)} ${f(r.min)} ${f(r.max)}\n`);
    process.stdout.write(`ratio (canopy / raw)         ${f(c.median / r.median)} ${f(c.p95 / r.p95)}\n`);
    process.stdout.write(
      `${JSON.stringify({ bench: 'deploy-latency', runs: RUNS, canopy: c, raw: r, ratioMedian: c.median / r.median, ratioP95: c.p95 / r.p95 })}\n`,
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
    process.stderr.write(`deploy-latency failed: ${error.stack || error}\n`);
    process.exit(1);
  },
);
