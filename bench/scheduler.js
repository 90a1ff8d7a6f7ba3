#!/usr/bin/env node
/**
 * Scheduler throughput (issue 4): placements per second and per-decision latency at 1,000 /
 * 10,000 / 100,000 nodes, for every policy. Each timed step is a real `ReservationLedger.place`
 * (schedule + reserve) plus the release of the oldest live placement, so the ledger stays at a
 * steady ~5 instances per node and the bookkeeping is included in the figures.
 *
 * Candidates are passed both ways `place` accepts them: a `CandidateTable` (columns, built once)
 * and a plain array of objects (read live every decision).
 *
 * Run: pnpm build && node bench/scheduler.js [--seconds 2] [--sizes 1000,10000,100000]
 *      [--policies best-fit,first-fit] [--inputs table,array]
 * Pure CPU work on one core; the data is generated from a fixed seed, so runs are comparable.
 */
'use strict';
const { ReservationLedger, CandidateTable } = require('../packages/scheduler/dist');

const { option: opt } = require('./lib/args');
const SECONDS = Number(opt('seconds', '2'));
const SIZES = opt('sizes', '1000,10000,100000').split(',').map(Number);
const POLICIES = opt('policies', 'best-fit,worst-fit,first-fit,most-traffic').split(',');
const INPUTS = opt('inputs', 'table,array').split(',');
// `index`: the free-capacity index (tables only; arrays are always scanned); `scan`: the reference loop.
const MODES = opt('modes', 'index,scan').split(',');
const LIVE_PER_NODE = 5;

// mulberry32: a tiny seeded PRNG, so every run sees the same cluster and request stream.
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function makeNodes(n, rand) {
  const cpus = [2000, 4000, 8000, 16000, 32000, 64000];
  const mems = [4096, 8192, 16384, 32768, 65536, 262144];
  const nodes = [];
  for (let i = 0; i < n; i++) {
    const size = Math.floor(rand() * cpus.length);
    nodes.push({
      id: `node-${String(i).padStart(6, '0')}`,
      name: `edge-${i}`,
      active: rand() > 0.02,
      allocatable: { cpuMillis: cpus[size], memoryMb: mems[size], gpus: rand() < 0.05 ? 2 : 0 },
      architectures: [rand() < 0.7 ? 'amd64' : 'arm64'],
      labels: { zone: `z${Math.floor(rand() * 8)}` },
      location: { lat: 35 + rand() * 30, long: -10 + rand() * 40 },
      netRxBps: Math.floor(rand() * 1e7),
      cpuPercent: Math.floor(rand() * 100),
    });
  }
  return nodes;
}

function makeRequests(count, rand) {
  const reqs = [];
  for (let i = 0; i < count; i++) {
    reqs.push({
      requests: { cpuMillis: 100 + Math.floor(rand() * 5) * 100, memoryMb: 64 << Math.floor(rand() * 4), gpus: 0 },
    });
  }
  return reqs;
}

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function run(n, policy, input, mode) {
  const rand = rng(42 + n);
  const nodes = makeNodes(n, rand);
  const candidates = input === 'table' ? new CandidateTable(nodes) : nodes;
  const requests = makeRequests(4096, rand);
  const ledger = new ReservationLedger({ index: mode === 'index' });
  // Pre-load the steady state directly (placing 500k instances through the scheduler at 100k
  // nodes would take minutes and measure nothing new).
  const live = [];
  for (let i = 0; i < n * LIVE_PER_NODE; i++) {
    const key = `pre-${i}`;
    const node = nodes[Math.floor(rand() * n)];
    ledger.reserve(key, node.id, requests[i & 4095].requests);
    live.push(key);
  }
  let head = 0;
  let seq = 0;
  const step = () => {
    const key = `k-${seq}`;
    const d = ledger.place(key, candidates, requests[seq & 4095], policy, { kind: 'node' });
    seq++;
    if (d.ok) {
      live.push(key);
    }
    ledger.release(live[head++]);
    return d;
  };
  for (let i = 0; i < Math.max(200, 200000 / n); i++) {
    step();
  } // warm up the JIT
  const times = [];
  let failures = 0;
  const deadline = process.hrtime.bigint() + BigInt(Math.round(SECONDS * 1e9));
  const t0 = process.hrtime.bigint();
  let now = t0;
  while (now < deadline) {
    const s = now;
    const d = step();
    now = process.hrtime.bigint();
    times.push(Number(now - s) / 1000);
    if (!d.ok) {
      failures++;
    }
  }
  const elapsed = Number(now - t0) / 1e9;
  times.sort((a, b) => a - b);
  return {
    n,
    policy,
    input,
    mode,
    perSec: times.length / elapsed,
    p50: percentile(times, 50),
    p99: percentile(times, 99),
    count: times.length,
    failures,
  };
}

const rows = [];
for (const input of INPUTS) {
  for (const policy of POLICIES) {
    for (const n of SIZES) {
      // Arrays are always scanned, so only tables get both modes.
      for (const mode of input === 'table' ? MODES : ['scan']) {
        rows.push(run(n, policy, input, mode));
      }
    }
  }
}

const fmt = (x, d = 0) => x.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
console.log(
  `Node ${process.version}, ${require('os').cpus().length} cores (${require('os').cpus()[0].model}), ${SECONDS}s per row`,
);
console.log(
  '| candidates as | policy | nodes | decided by | placements/s | p50 µs | p99 µs | index ÷ scan (placements/s) | placements | failed |',
);
console.log('|---|---|---:|---|---:|---:|---:|---:|---:|---:|');
for (const r of rows) {
  const scan = rows.find((x) => x.input === r.input && x.policy === r.policy && x.n === r.n && x.mode === 'scan');
  const ratio = r.mode === 'index' && scan ? `×${fmt(r.perSec / scan.perSec, 1)}` : '–';
  console.log(
    `| ${r.input} | ${r.policy} | ${fmt(r.n)} | ${r.mode} | ${fmt(r.perSec)} | ${fmt(r.p50, 1)} | ${fmt(r.p99, 1)} | ${ratio} | ${fmt(r.count)} | ${r.failures} |`,
  );
}
