/**
 * Hollow-node harness shared by bench/hollow-nodes.js and test/e2e/hollow-nodes.e2e-spec.ts: a real
 * root and cluster manager, each its built `dist/main.js` as its own process on free loopback
 * ports, and N hollow nodes (bench/lib/hollow-worker.js) spread over worker processes.
 * Everything started here is stopped by pid in `stop()`.
 */
'use strict';
const { fork, spawn } = require('node:child_process');
const { createWriteStream, mkdtempSync, readFileSync, readdirSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const { freePort, sleep, stopTier: stopProcess } = require('./tiers');

// HOLLOW_REPO: another checkout's built dist to measure (e.g. main, for a before/after).
const REPO = process.env.HOLLOW_REPO ?? join(__dirname, '../..');
const CLK_TCK = 100;

function startTier(tier, name, env, work, nodeArgs = []) {
  const out = createWriteStream(join(work, `${name}.log`));
  const child = spawn(process.execPath, [...nodeArgs, join(REPO, 'packages', tier, 'dist', 'main.js')], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, LOG_LEVEL: process.env.HOLLOW_LOG_LEVEL ?? 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.pipe(out, { end: false });
  child.stderr.pipe(out, { end: false });
  const exited = new Promise((res) => child.once('exit', (code, signal) => res(code ?? signal)));
  return { name, child, exited, logFile: join(work, `${name}.log`) };
}

/** CPU seconds (user + system) and RSS bytes of a process, from /proc. */
function procUsage(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const cpuSeconds = (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
    const rssPages = Number(fields[21]);
    return { cpuSeconds, rssBytes: rssPages * 4096 };
  } catch {
    return undefined;
  }
}

/** The pids whose parent is `pid` (the cluster's broker workers, MQTT_BROKER_WORKERS). */
function childPids(pid) {
  const out = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) {
      continue;
    }
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) {
        out.push(Number(entry));
      }
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** procUsage of a process and its children together (the cluster with its broker workers). */
function treeUsage(pid) {
  const own = procUsage(pid);
  if (own === undefined) {
    return undefined;
  }
  for (const child of childPids(pid)) {
    const u = procUsage(child);
    if (u !== undefined) {
      own.cpuSeconds += u.cpuSeconds;
      own.rssBytes += u.rssBytes;
    }
  }
  return own;
}

async function waitUntil(what, probe, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    try {
      const v = await probe();
      if (v !== undefined && v !== false) {
        return v;
      }
    } catch (err) {
      last = err;
    }
    await sleep(200);
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${last.message}` : ''}`);
}

/**
 * Starts root + cluster (`clusterEnv` added to the cluster's environment) and resolves once the
 * cluster answers `/health`. Returns { clusterUrl, nodeToken, metricsToken, cluster, root, work, stop }.
 */
async function startControlPlane(options = {}) {
  const work = mkdtempSync(join(tmpdir(), 'canopy-hollow-'));
  const rootPort = await freePort();
  const clusterPort = await freePort();
  const mqttPort = await freePort();
  const clusterToken = `hollow-cluster-token-${process.pid}-0123456789`;
  const nodeToken = `hollow-node-token-${process.pid}-0123456789`;
  const metricsToken = `hollow-metrics-token-${process.pid}-0123456789`;
  const root = startTier(
    'root',
    'root',
    {
      ROOT_PORT: String(rootPort),
      ROOT_HOST: '127.0.0.1',
      ROOT_DATA_DIR: join(work, 'root'),
      CANOPY_ADMIN_PASSWORD: `hollow-admin-${process.pid}`,
      CANOPY_CLUSTER_TOKEN: clusterToken,
      // a bench's own cluster joins with the shared token (no admin registration step)
      CANOPY_ALLOW_SHARED_CLUSTER_TOKEN: 'true',
      ...options.rootEnv,
    },
    work,
  );
  const clusterEnv = {
    ROOT_URL: `http://127.0.0.1:${rootPort}`,
    CLUSTER_TOKEN: clusterToken,
    CLUSTER_NAME: 'hollow',
    CLUSTER_HOST: '127.0.0.1',
    CLUSTER_PORT: String(clusterPort),
    MQTT_PORT: String(mqttPort),
    NODE_TOKEN: nodeToken,
    CANOPY_METRICS_TOKEN: metricsToken,
    CLUSTER_DATA_DIR: join(work, 'cluster'),
    // Hollow nodes share a few loopback source addresses: lift the per-address and total limits,
    // and the registration rate limit, to what the run needs (the defaults guard a real
    // deployment). A cap below the run's size is an overload run's choice (--max-connections).
    MQTT_MAX_CONNECTIONS: String(options.maxConnections ?? 60_000),
    MQTT_MAX_CONNECTIONS_PER_ADDRESS: String(options.maxConnections ?? 60_000),
    REGISTER_RATE_LIMIT: String(options.registerRateLimit ?? 900_000),
    ...options.clusterEnv,
  };
  const cluster = startTier('cluster', 'cluster', clusterEnv, work, options.clusterNodeArgs ?? []);
  const untilHealthy = () =>
    waitUntil(
      'the cluster to answer /health',
      async () => (await fetch(`${clusterUrl}/health`)).status === 200,
      30_000,
    );
  const clusterUrl = `http://127.0.0.1:${clusterPort}`;
  const plane = {
    work,
    root,
    cluster,
    clusterUrl,
    rootUrl: `http://127.0.0.1:${rootPort}`,
    nodeToken,
    metricsToken,
    adminPassword: `hollow-admin-${process.pid}`,
    /**
     * Kills the cluster (SIGKILL: no goodbye to the nodes) and starts it again on the same ports
     * and data directory; resolves once it answers /health, with the times (ms) of both.
     */
    async restartCluster() {
      const killedAt = Date.now();
      plane.cluster.child.kill('SIGKILL');
      await plane.cluster.exited;
      plane.restarts = (plane.restarts ?? 0) + 1;
      plane.cluster = startTier(
        'cluster',
        `cluster-${plane.restarts}`,
        clusterEnv,
        work,
        options.clusterNodeArgs ?? [],
      );
      await untilHealthy();
      return { killedAt, healthyAt: Date.now() };
    },
    async stop() {
      await stopProcess(plane.cluster);
      await stopProcess(root);
      if (!options.keepWork) {
        rmSync(work, { recursive: true, force: true });
      }
    },
  };
  try {
    await untilHealthy();
  } catch (err) {
    const tail = (file) => readFileSync(file, 'utf8').split('\n').slice(-15).join('\n');
    const logs = `cluster log:\n${tail(cluster.logFile)}\nroot log:\n${tail(root.logFile)}`;
    await plane.stop();
    throw new Error(`${err.message}\n${logs}`);
  }
  return plane;
}

/** At most this many hollow nodes' MQTT connections come from one source address. */
const PER_SOURCE_ADDRESS = 20_000;

/**
 * Where the hollow nodes' MQTT connections come from. Every connection from one address to the
 * broker's address and port needs an ephemeral port of its own, and Linux hands out 28,232 of them
 * (`net.ipv4.ip_local_port_range` 32768–60999): the first 50,000-node runs stalled at exactly 28,229
 * connected. Up to 20,000 nodes dial from the default address; beyond, the fleet spreads them over
 * 127.0.1.1, 127.0.1.2, … (all of 127.0.0.0/8 is the loopback interface: nothing leaves the machine).
 */
function sourceAddressesFor(nodes) {
  if (nodes <= PER_SOURCE_ADDRESS) {
    return [];
  }
  return Array.from({ length: Math.ceil(nodes / PER_SOURCE_ADDRESS) }, (_, i) => `127.0.1.${i + 1}`);
}

/**
 * Forks `workers` hollow-node processes sharing `nodes` nodes. Returns { stats(), stop() }; stats()
 * sums the workers' counters and gives their summed CPU seconds and RSS.
 */
function startFleet(plane, { nodes, workers = 2, intervalMs = 2000, instances = 0, concurrency = 16, prefix }) {
  const sourceAddresses = sourceAddressesFor(nodes);
  const children = [];
  const per = Math.ceil(nodes / workers);
  const errors = [];
  for (let w = 0; w < workers && w * per < nodes; w++) {
    const child = fork(join(__dirname, 'hollow-worker.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    child.on('message', (m) => {
      if (m.type === 'error') {
        errors.push(m.error);
      } else if (m.type === 'stats' && child.pending) {
        child.pending(m.stats);
        child.pending = undefined;
      }
    });
    child.exitedP = new Promise((res) => child.once('exit', res));
    child.send({
      type: 'start',
      clusterUrl: plane.clusterUrl,
      nodeToken: plane.nodeToken,
      prefix: prefix ?? `hollow-${process.pid}`,
      first: w * per,
      count: Math.min(per, nodes - w * per),
      intervalMs,
      instances,
      concurrency,
      sourceAddresses,
    });
    children.push(child);
  }
  const ask = (child) =>
    new Promise((resolve) => {
      if (child.exitCode !== null) {
        return resolve(undefined);
      }
      child.pending = resolve;
      child.send({ type: 'stats' });
      setTimeout(() => resolve(undefined), 5000).unref();
    });
  return {
    errors,
    pids: children.map((c) => c.pid),
    async stats() {
      const all = (await Promise.all(children.map(ask))).filter((s) => s !== undefined);
      const sum = (k) => all.reduce((a, s) => a + s[k], 0);
      return {
        workers: all.length,
        registered: sum('registered'),
        connected: sum('connected'),
        connects: sum('connected'),
        registerRetries: sum('registerRetries'),
        nameTakenAfterRetry: sum('nameTakenAfterRetry'),
        refused: sum('refused'),
        paced: sum('paced'),
        closedBeforeConnect: sum('closedBeforeConnect'),
        intervals: all.reduce((acc, s) => {
          for (const [ms, n] of Object.entries(s.intervals ?? {})) {
            acc[ms] = (acc[ms] ?? 0) + n;
          }
          return acc;
        }, {}),
        published: sum('published'),
        commands: sum('commands'),
        registeredAt: all.flatMap((s) => s.registeredAt),
        cpuSeconds: sum('cpuMicros') / 1e6,
        rssBytes: sum('rssBytes'),
      };
    },
    async stop() {
      for (const c of children) {
        if (c.exitCode === null) {
          c.send({ type: 'stop' });
        }
      }
      let timer;
      const grace = new Promise((r) => {
        timer = setTimeout(r, 10_000);
      });
      await Promise.race([Promise.all(children.map((c) => c.exitedP)), grace]);
      clearTimeout(timer);
      for (const c of children) {
        if (c.exitCode === null && c.signalCode === null) {
          c.kill('SIGKILL');
        }
      }
    },
  };
}

/** The cluster's `/health` body and how long it took to answer (ms). */
async function health(plane) {
  const t0 = performance.now();
  const res = await fetch(`${plane.clusterUrl}/health`, { signal: AbortSignal.timeout(10_000) });
  const body = await res.json();
  return { ms: performance.now() - t0, status: res.status, body };
}

/** A few gauges from the cluster's Prometheus scrape (seconds), by metric name. */
async function scrape(plane, names) {
  const res = await fetch(`${plane.clusterUrl}/metrics`, {
    headers: { authorization: `Bearer ${plane.metricsToken}` },
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  const out = {};
  for (const line of text.split('\n')) {
    for (const name of names) {
      if (line.startsWith(`${name} `) || line.startsWith(`${name}{`)) {
        out[line.slice(0, line.lastIndexOf(' '))] = Number(line.slice(line.lastIndexOf(' ') + 1));
      }
    }
  }
  return out;
}

module.exports = { startControlPlane, startFleet, health, scrape, procUsage, treeUsage, waitUntil, sleep };
