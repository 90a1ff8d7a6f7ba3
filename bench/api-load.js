#!/usr/bin/env node
/**
 * bench/api-load: HTTP load on the root's REST API with autocannon, against the embedded root on
 * SQLite in this process. Measures `GET /api/applications` (an admin listing BENCH_APPS
 * applications) and `POST /api/application` (a fresh, uniquely named application with one service
 * per request: validation, a transaction over two records, the view), and the same load on
 * `GET /health` of the same Nest app: the framework's own floor (routing, guards, JSON, no store).
 * autocannon runs in one worker thread so that it does not share the root's event loop.
 *
 *   pnpm build && node bench/api-load.js
 *   BENCH_CONNECTIONS=50 BENCH_DURATION_S=10 BENCH_APPS=100
 */
'use strict';
const { mkdtempSync, rmSync } = require('node:fs');
const { tmpdir, cpus } = require('node:os');
const { join } = require('node:path');
const autocannon = require('autocannon');
const pino = require(require.resolve('pino', { paths: [join(__dirname, '../packages/root')] }));
const { startRoot, loadRootConfig } = require('../packages/root/dist');

const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 10);
const APPS = Number(process.env.BENCH_APPS ?? 100);
const PASSWORD = 'bench-admin-password';

const REQUEST_MODULE = join(__dirname, 'api-load.request.js');
const { sla } = require(REQUEST_MODULE);

async function load(title, url, request) {
  const result = await autocannon({
    url,
    connections: CONNECTIONS,
    duration: DURATION_S,
    requests: [request],
    // The load generator runs in a worker thread, off the event loop of the root it measures.
    workers: 1,
  });
  const row = {
    title,
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    total: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
  };
  process.stdout.write(
    `${title.padEnd(26)} ${row.rps.toFixed(0).padStart(7)} req/s  p50 ${String(row.p50).padStart(4)} ms  ` +
      `p99 ${String(row.p99).padStart(4)} ms  (${row.total} requests, ${row.non2xx} non-2xx, ${row.errors} errors)\n`,
  );
  return row;
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'canopy-api-load-'));
  const root = await startRoot(
    loadRootConfig({ ROOT_PORT: '0', ROOT_HOST: '127.0.0.1', ROOT_DATA_DIR: dir, CANOPY_ADMIN_PASSWORD: PASSWORD }),
    pino({ level: 'silent' }),
  );
  try {
    const login = await fetch(`${root.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'Admin', password: PASSWORD }),
    });
    const { token } = await login.json();
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    for (let i = 0; i < APPS; i++) {
      const res = await fetch(`${root.url}/api/application`, { method: 'POST', headers, body: sla(`seed${i}`) });
      if (res.status !== 201) {
        throw new Error(`seeding failed: ${res.status} ${await res.text()}`);
      }
    }
    process.stdout.write(
      `root API load: ${CONNECTIONS} connections, ${DURATION_S} s each, SQLite, ${APPS} applications listed, ` +
        `Node ${process.version}, ${cpus().length} cores\n`,
    );

    const floor = await load('GET /health (floor)', root.url, { method: 'GET', path: '/health' });
    const list = await load('GET /api/applications', root.url, { method: 'GET', path: '/api/applications', headers });
    const create = await load('POST /api/application', root.url, {
      method: 'POST',
      path: '/api/application',
      headers,
      setupRequest: REQUEST_MODULE,
    });
    const floorAgain = await load('GET /health (floor, again)', root.url, { method: 'GET', path: '/health' });

    const base = (floor.rps + floorAgain.rps) / 2;
    process.stdout.write(`\nfloor (mean of both runs) ${base.toFixed(0)} req/s\n`);
    for (const row of [list, create]) {
      process.stdout.write(
        `${row.title.padEnd(26)} ${((row.rps / base) * 100).toFixed(1)}% of the floor's req/s, ` +
          `p99 ×${(row.p99 / Math.max(1, (floor.p99 + floorAgain.p99) / 2)).toFixed(1)}\n`,
      );
    }
    if ([floor, list, create, floorAgain].some((r) => r.non2xx > 0 || r.errors > 0)) {
      process.exitCode = 1;
      process.stderr.write('some requests failed: the figures above do not measure what they say\n');
    }
  } finally {
    await root.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  process.stderr.write(`${error.stack ?? error}\n`);
  process.exit(1);
});
