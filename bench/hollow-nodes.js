#!/usr/bin/env node
/**
 * Hollow nodes (issue 14, as Kubernetes' kubemark): for each N, a fresh real root and cluster
 * manager (built dist, separate processes) and N simulated nodes that register over HTTP and speak
 * MQTT with the node engine's own options and payloads (bench/lib/hollow-worker.js), spread over
 * worker processes. Prints, per N: time until all N are registered and active, the registration
 * rate, then over a measuring window the cluster's CPU (% of one core), RSS, event-loop delay
 * (p99 of its own monitor), heartbeat age (mean/max, from its /metrics), the smallest active count
 * seen, `/health` latency (p50/p99), and the hollow workers' own CPU and RSS.
 *
 * Run: npm run build && node bench/hollow-nodes.js [--nodes 1000,2000,5000] [--workers 2]
 *      [--interval 2000] [--instances 0] [--measure 30] [--join-timeout 180]
 *      [--capacity 5000] [--connect-rate 500] [--register-rate 500] [--broker-workers 0] [--restart]
 *      [--max-connections <N + 10 %, at least 60000>]
 * `--max-connections` sets MQTT_MAX_CONNECTIONS (and the per-address limit): by default the run's
 * size with headroom, so the cap is never what a large run measures by accident.
 * `--capacity`, `--connect-rate`, `--register-rate` set the cluster's NODE_REPORTS_PER_SECOND,
 * MQTT_CONNECT_RATE and REGISTER_ADMISSION_RATE (load shedding: past the capacity nodes are told
 * to report less often). `--broker-workers N` sets MQTT_BROKER_WORKERS (the cluster's CPU and RSS
 * are then its own plus its workers'; `clusterMainCpuPct`/`clusterMainRssMb` the cluster alone). `--restart`: after the window, SIGKILL the cluster, start it again on the
 * same data, and time until all N are connected and active again (and how many connection attempts
 * were turned away or timed out on the way).
 * The workers share the machine with the cluster: their own CPU is printed so it can be allowed for.
 */
'use strict';
const {
  startControlPlane,
  startFleet,
  health,
  scrape,
  procUsage,
  treeUsage,
  waitUntil,
  sleep,
} = require('./lib/hollow-fleet');

const { option: opt } = require('./lib/args');
const SIZES = opt('nodes', '1000,2000,5000').split(',').map(Number);
const WORKERS = Number(opt('workers', '2'));
const INTERVAL = Number(opt('interval', '2000'));
const INSTANCES = Number(opt('instances', '0'));
const MEASURE_S = Number(opt('measure', '30'));
const JOIN_TIMEOUT_S = Number(opt('join-timeout', '180'));
const CAPACITY = opt('capacity', '');
const CONNECT_RATE = opt('connect-rate', '');
const REGISTER_RATE = opt('register-rate', '');
const BROKER_WORKERS = opt('broker-workers', '');
const MAX_CONNECTIONS = opt('max-connections', '');
const RESTART = process.argv.includes('--restart');
const RESTART_TIMEOUT_S = Number(opt('restart-timeout', '120'));
const LAG = 'canopy_cluster_nodejs_eventloop_lag_p99_seconds';
const AGE = 'canopy_cluster_heartbeat_age_seconds';

const q = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s[Math.min(s.length - 1, Math.ceil(p * s.length) - 1)];
};

async function runOne(n) {
  const plane = await startControlPlane({
    maxConnections: MAX_CONNECTIONS === '' ? Math.max(60_000, Math.ceil(n * 1.1)) : Number(MAX_CONNECTIONS),
    clusterEnv: {
      NODE_LIVENESS_MS: String(Math.max(10_000, INTERVAL * 5)),
      NODE_REPORT_INTERVAL_MS: String(INTERVAL),
      ...(CAPACITY === '' ? {} : { NODE_REPORTS_PER_SECOND: CAPACITY }),
      ...(CONNECT_RATE === '' ? {} : { MQTT_CONNECT_RATE: CONNECT_RATE }),
      ...(REGISTER_RATE === '' ? {} : { REGISTER_ADMISSION_RATE: REGISTER_RATE }),
      ...(BROKER_WORKERS === '' ? {} : { MQTT_BROKER_WORKERS: BROKER_WORKERS }),
    },
    // HOLLOW_KEEP=1 keeps the run's directory (cluster and root logs); its path is printed.
    keepWork: process.env.HOLLOW_KEEP === '1',
    // e.g. HOLLOW_CLUSTER_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" to profile the cluster.
    clusterNodeArgs: (process.env.HOLLOW_CLUSTER_NODE_ARGS ?? '').split(' ').filter((a) => a !== ''),
  });
  const fleet = startFleet(plane, { nodes: n, workers: WORKERS, intervalMs: INTERVAL, instances: INSTANCES });
  const row = { nodes: n, workers: WORKERS, intervalMs: INTERVAL, instances: INSTANCES, work: plane.work };
  try {
    const t0 = Date.now();
    let registeredAll;
    const registrations = [];
    const activeAll = await waitUntil(
      `${n} hollow nodes active`,
      async () => {
        if (fleet.errors.length > 0) {
          throw new Error(fleet.errors[0]);
        }
        const s = await fleet.stats();
        registrations.push(...s.registeredAt);
        if (registeredAll === undefined && s.registered >= n) {
          registeredAll = Date.now();
        }
        const h = await health(plane);
        // Nodes whose registration answer was lost cannot join (see nameTakenAfterRetry).
        return h.body.activeNodes >= n - s.nameTakenAfterRetry ? Date.now() : undefined;
      },
      JOIN_TIMEOUT_S * 1000,
    ).catch((err) => {
      row.joinError = err.message;
      return undefined;
    });
    row.registeredAllS = registeredAll === undefined ? null : (registeredAll - t0) / 1000;
    row.activeAllS = activeAll === undefined ? null : (activeAll - t0) / 1000;
    registrations.sort((a, b) => a - b);
    row.registerPerS =
      registrations.length > 1
        ? Math.round((registrations.length - 1) / ((registrations[registrations.length - 1] - registrations[0]) / 1000))
        : null;

    // Measuring window: the fleet joined (or gave up); the steady state follows.
    let pid = plane.cluster.child.pid;
    const c0 = treeUsage(pid);
    const m0 = procUsage(pid);
    const f0 = await fleet.stats();
    const w0 = Date.now();
    const lat = [];
    const lags = [];
    const ages = [];
    let minActive = Infinity;
    let maxRss = 0;
    let ticks = 0;
    while (Date.now() - w0 < MEASURE_S * 1000) {
      await sleep(500);
      ticks++;
      const h = await health(plane).catch(() => undefined);
      if (h !== undefined) {
        lat.push(h.ms);
        minActive = Math.min(minActive, h.body.activeNodes);
      }
      maxRss = Math.max(maxRss, treeUsage(pid)?.rssBytes ?? 0);
      if (ticks % 10 === 0) {
        const m = await scrape(plane, [LAG, AGE]).catch(() => ({}));
        if (m[LAG] !== undefined) {
          lags.push(m[LAG] * 1000);
        }
        if (m[`${AGE}{stat="max"}`] !== undefined) {
          ages.push({ mean: m[`${AGE}{stat="mean"}`], max: m[`${AGE}{stat="max"}`] });
        }
      }
    }
    const c1 = treeUsage(pid);
    const m1 = procUsage(pid);
    const f1 = await fleet.stats();
    const seconds = (Date.now() - w0) / 1000;
    // With broker workers: the cluster and its workers together, and the cluster process alone.
    row.clusterCpuPct = Math.round((100 * (c1.cpuSeconds - c0.cpuSeconds)) / seconds);
    row.clusterMainCpuPct = Math.round((100 * (m1.cpuSeconds - m0.cpuSeconds)) / seconds);
    row.clusterMainRssMb = Math.round(m1.rssBytes / 1048576);
    row.clusterRssMb = Math.round(maxRss / 1048576);
    row.loopLagP99Ms = lags.length === 0 ? null : Math.round(q(lags, 0.5) * 10) / 10;
    row.heartbeatAgeMeanS =
      ages.length === 0
        ? null
        : Math.round(
            q(
              ages.map((a) => a.mean),
              0.5,
            ) * 10,
          ) / 10;
    row.heartbeatAgeMaxS = ages.length === 0 ? null : Math.round(Math.max(...ages.map((a) => a.max)) * 10) / 10;
    row.minActive = minActive === Infinity ? 0 : minActive;
    row.healthP50Ms = Math.round(q(lat, 0.5) * 10) / 10;
    row.healthP99Ms = Math.round(q(lat, 0.99) * 10) / 10;
    row.fleetCpuPct = Math.round((100 * (f1.cpuSeconds - f0.cpuSeconds)) / seconds);
    row.fleetRssMb = Math.round(f1.rssBytes / 1048576);
    row.messagesPerS = Math.round((f1.published - f0.published) / seconds);
    // The robust figure on a shared machine: the cluster's CPU time per message it received.
    row.clusterCpuUsPerMsg =
      row.messagesPerS > 0 ? Math.round(((c1.cpuSeconds - c0.cpuSeconds) * 1e6) / (f1.published - f0.published)) : null;
    row.fleetConnected = f1.connected;
    row.refused = f1.refused;
    row.registerRetries = f1.registerRetries;
    row.nameTakenAfterRetry = f1.nameTakenAfterRetry;
    row.closedBeforeConnect = f1.closedBeforeConnect;
    row.paced = f1.paced;
    row.intervals = f1.intervals;
    const h1 = await health(plane).catch(() => undefined);
    row.reportIntervalMs = h1?.body.reportIntervalMs ?? null;
    if (procUsage(pid) === undefined) {
      row.crash = 'cluster process gone';
    }
    if (RESTART) {
      Object.assign(row, await restart(plane, fleet, n));
      pid = plane.cluster.child.pid;
    }
    const tail = procUsage(pid) === undefined ? 'cluster process gone' : undefined;
    if (tail) {
      row.crash = tail;
    }
  } finally {
    await fleet.stop();
    await plane.stop();
  }
  return row;
}

/** SIGKILL the cluster, start it again, and time until all `n` are connected and active again. */
async function restart(plane, fleet, n) {
  const before = await fleet.stats();
  const { killedAt, healthyAt } = await plane.restartCluster();
  const out = { restartHealthyS: (healthyAt - killedAt) / 1000 };
  let allConnected;
  const done = await waitUntil(
    `${n} nodes active after the restart`,
    async () => {
      const s = await fleet.stats();
      if (allConnected === undefined && s.connected >= n) {
        allConnected = Date.now();
      }
      const h = await health(plane);
      return h.body.activeNodes >= n && s.connected >= n ? Date.now() : undefined;
    },
    RESTART_TIMEOUT_S * 1000,
  ).catch((err) => {
    out.restartError = err.message;
    return undefined;
  });
  const after = await fleet.stats();
  const h = await health(plane).catch(() => undefined);
  out.restartAllConnectedS = allConnected === undefined ? null : (allConnected - killedAt) / 1000;
  out.restartAllActiveS = done === undefined ? null : (done - killedAt) / 1000;
  out.restartActive = h?.body.activeNodes ?? null;
  // Attempts that closed before a CONNACK: turned away by MQTT_CONNECT_RATE, refused while the
  // cluster was down, or timed out (connectTimeout 10 s). CONNACK refusals are `refused`.
  out.restartClosedBeforeConnect = after.closedBeforeConnect - before.closedBeforeConnect;
  out.restartRefused = after.refused - before.refused;
  out.restartClusterRssMb = Math.round((treeUsage(plane.cluster.child.pid)?.rssBytes ?? 0) / 1048576);
  return out;
}

async function main() {
  process.stdout.write(
    `hollow nodes: sizes ${SIZES.join(', ')}; ${WORKERS} workers; report every ${INTERVAL} ms; ${INSTANCES} instances per node; ${MEASURE_S} s window\n`,
  );
  const head =
    'nodes  reg/s  all-reg s  all-active s  cpu %  rss MB  loop p99 ms  hb age mean/max s  min active  health p50/p99 ms  msgs/s  µs cpu/msg  fleet cpu % / rss MB';
  const rows = [];
  for (const n of SIZES) {
    const row = await runOne(n);
    rows.push(row);
    process.stdout.write(`${JSON.stringify(row)}\n`);
  }
  process.stdout.write(`\n${head}\n`);
  for (const r of rows) {
    const cell = (v, w) => String(v ?? '–').padStart(w);
    process.stdout.write(
      [
        cell(r.nodes, 5),
        cell(r.registerPerS, 6),
        cell(r.registeredAllS, 10),
        cell(r.activeAllS, 13),
        cell(r.clusterCpuPct, 6),
        cell(r.clusterRssMb, 7),
        cell(r.loopLagP99Ms, 12),
        cell(`${r.heartbeatAgeMeanS ?? '–'}/${r.heartbeatAgeMaxS ?? '–'}`, 18),
        cell(r.minActive, 11),
        cell(`${r.healthP50Ms}/${r.healthP99Ms}`, 18),
        cell(r.messagesPerS, 7),
        cell(r.clusterCpuUsPerMsg, 10),
        cell(`${r.fleetCpuPct} / ${r.fleetRssMb}`, 21),
      ].join(' ') + '\n',
    );
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(`hollow-nodes failed: ${err.stack || err}\n`);
    process.exit(1);
  },
);
