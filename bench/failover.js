#!/usr/bin/env node
/**
 * bench/failover: detection and recovery times with the DEFAULT timers, beside the configured
 * values. Real processes and real containers: a root, cluster A with two node engines, cluster B
 * with one, all on this machine's Docker engine.
 *
 *   1. node lost: a service with two replicas on cluster A (one per node); node a1 is killed -9:
 *      → its instance shown DEAD at the root, → the replacement RUNNING on a2; a1 restarts:
 *      → its orphaned container gone (exactly one container per instance).
 *   2. cluster lost: a service with two replicas spread over A and B; cluster B and its node are
 *      killed -9: → the instance shown DEAD, → re-placed RUNNING on A; B restarts: → duplicates gone.
 *
 *   pnpm build && node bench/failover.js       (takes about 5 minutes)
 *
 * Timers come from the tiers' own defaults; set NODE_LIVENESS_MS, NODE_LOST_MS, CLUSTER_SUSPECT_MS
 * or CLUSTER_LOST_MS in the environment to measure other values (they are passed on).
 */
'use strict';
const { mkdtempSync, rmSync, readFileSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const t = require('./lib/tiers');
const { benchSla } = require('./lib/sla');

const IMAGE = 'canopy-test/busybox:latest';
const { loadClusterConfig } = require('../packages/cluster/dist/config/cluster-config.js');
const { loadRootConfig } = require('../packages/root/dist/config/root-config.js');

/** The timers the tiers will run with: their own loaders read the same environment. */
const clusterTimers = loadClusterConfig({ ...process.env, CLUSTER_TOKEN: 'bench' });
const rootTimers = loadRootConfig(process.env);
const CONFIGURED = {
  NODE_LIVENESS_MS: clusterTimers.nodeLivenessMs,
  NODE_LOST_MS: clusterTimers.nodeLostMs,
  CLUSTER_SUSPECT_MS: rootTimers.clusterSuspectMs,
  CLUSTER_LOST_MS: rootTimers.clusterLostMs,
};
const timer = (name) => CONFIGURED[name];
const passOn = (names) => Object.fromEntries(names.filter((n) => process.env[n]).map((n) => [n, process.env[n]]));

async function main() {
  t.ensureTestImage();
  const work = mkdtempSync(join(tmpdir(), 'canopy-failover-'));
  const password = `failover-${Date.now()}`;
  const clusterToken = `failover-cluster-token-${process.pid}-0123456789`;
  const nodeToken = `failover-node-token-${process.pid}-0123456789`;
  const rootPort = await t.freePort();
  const base = `http://127.0.0.1:${rootPort}`;
  const tiers = [];
  const serviceIds = [];
  let token = '';
  const call = async (method, path, body) => {
    const res = await fetch(base + path, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    try {
      return { status: res.status, body: JSON.parse(text) };
    } catch {
      return { status: res.status, body: text };
    }
  };
  const start = (tier, name, env) => {
    const p = t.startTier(tier, name, env, work);
    tiers.push(p);
    return p;
  };

  const clusters = {};
  const launchCluster = async (name, nodeNames, run = 1) => {
    const ports = clusters[name]?.ports ?? { http: await t.freePort(), mqtt: await t.freePort() };
    const suffix = run === 1 ? '' : `-run${run}`;
    const cluster = start('cluster', `${name}${suffix}`, {
      ROOT_URL: base,
      CLUSTER_TOKEN: clusterToken,
      CLUSTER_NAME: name,
      CLUSTER_PORT: String(ports.http),
      MQTT_PORT: String(ports.mqtt),
      NODE_TOKEN: nodeToken,
      CLUSTER_DATA_DIR: join(work, name),
      // Spread a service's replicas over the nodes (a policy, not a timer).
      CLUSTER_PLACEMENT_POLICY: 'worst-fit',
      ...passOn(['NODE_LIVENESS_MS', 'NODE_LOST_MS']),
    });
    const nodes = nodeNames.map((n) => launchNode(n, ports.http, run));
    clusters[name] = { ports, cluster, nodes, nodeNames };
    await activeAtRoot(name, nodeNames.length);
    return clusters[name];
  };
  const launchNode = (nodeName, clusterPort, run) =>
    start('node-engine', `${nodeName}${run === 1 ? '' : `-run${run}`}`, {
      CLUSTER_URL: `http://127.0.0.1:${clusterPort}`,
      NODE_TOKEN: nodeToken,
      NODE_NAME: nodeName,
      NODE_DATA_DIR: join(work, nodeName),
    });
  const activeAtRoot = (name, nodes) =>
    t.waitFor(
      `${name} active with ${nodes} nodes`,
      async () => {
        const res = await call('GET', '/api/clusters/active');
        const c = Array.isArray(res.body) ? res.body.find((x) => x.cluster_name === name) : undefined;
        return c?.resources?.activeNodes >= nodes ? c : undefined;
      },
      60_000,
    );
  const instances = async (serviceId) => (await call('GET', `/api/service/${serviceId}`)).body.instance_list;
  const label = (serviceId) => `io.canopy.service-id=${serviceId}`;

  const results = [];
  const record = (what, ms, configured) => {
    results.push({ what, ms, configured });
    process.stderr.write(`  ${what}: ${(ms / 1000).toFixed(1)} s\n`);
  };

  try {
    start('root', 'root', {
      ROOT_PORT: String(rootPort),
      ROOT_DATA_DIR: join(work, 'root'),
      CANOPY_ADMIN_PASSWORD: password,
      CANOPY_CLUSTER_TOKEN: clusterToken,
      // a bench's own cluster joins with the shared token (no admin registration step)
      CANOPY_ALLOW_SHARED_CLUSTER_TOKEN: 'true',
      ...passOn(['CLUSTER_SUSPECT_MS', 'CLUSTER_LOST_MS']),
    });
    await t.waitFor('root health', async () => ((await call('GET', '/health')).status === 200 ? true : undefined));
    const login = await call('POST', '/api/auth/login', { username: 'Admin', password });
    token = login.body.token;
    const a = await launchCluster('fo-a', ['fo-a1', 'fo-a2']);
    await launchCluster('fo-b', ['fo-b1']);

    const deploy = async (name, replicas, constraints) => {
      const res = await call(
        'POST',
        '/api/application',
        benchSla(name, 'failover bench', {
          code: IMAGE,
          memory: 16,
          port: '80',
          replicas,
          ...(constraints ? { constraints } : {}),
        }),
      );
      if (res.status !== 201) {
        throw new Error(`deploy failed: ${res.status} ${JSON.stringify(res.body)}`);
      }
      const id = res.body.applications[0].microservices[0];
      serviceIds.push(id);
      return t.waitFor(
        `${name} RUNNING`,
        async () => {
          const list = await instances(id);
          return list.length === replicas && list.every((i) => i.status === 'RUNNING') ? { id, list } : undefined;
        },
        120_000,
      );
    };

    // 1. Node lost.
    process.stderr.write('node lost (kill -9 of a node engine):\n');
    const nodeSvc = await deploy('fonode', 2, [{ type: 'direct', cluster: 'fo-a' }]);
    const a1Name = 'fo-a1';
    const victim = nodeSvc.list.find((i) => i.node_name === a1Name);
    if (!victim || nodeSvc.list.every((i) => i.node_name === a1Name)) {
      throw new Error('the two replicas did not spread over the two nodes');
    }
    const killedNode = Date.now();
    a.nodes[0].child.kill('SIGKILL');
    const poll = (what, pred, timeoutMs) =>
      t.waitFor(what, async () => pred(await instances(nodeSvc.id)) || undefined, timeoutMs, 100);
    await poll(
      'DEAD',
      (l) => l.find((i) => i.instance_number === victim.instance_number && i.status === 'DEAD'),
      60_000,
    );
    record(
      'node lost → instance DEAD at the root',
      Date.now() - killedNode,
      `NODE_LIVENESS_MS ${timer('NODE_LIVENESS_MS')}`,
    );
    await poll(
      'replacement RUNNING',
      (l) =>
        l.find((i) => i.instance_number === victim.instance_number && i.status === 'RUNNING' && i.node_name !== a1Name),
      timer('NODE_LOST_MS') + 60_000,
    );
    record(
      'node lost → replacement RUNNING on the other node',
      Date.now() - killedNode,
      `NODE_LOST_MS ${timer('NODE_LOST_MS')}`,
    );
    const backNode = Date.now();
    a.nodes[0] = launchNode(a1Name, a.ports.http, 2);
    await t.waitFor(
      'the orphaned container gone',
      () => {
        const all = t.containersWithLabel(label(nodeSvc.id));
        return all.length === 2 && !all.some((id) => victim.container_id.startsWith(id)) ? all : undefined;
      },
      120_000,
    );
    record(
      'node back → its duplicate container gone',
      Date.now() - backNode,
      'on its first heartbeat (the cluster syncs it)',
    );

    // 2. Cluster lost.
    process.stderr.write('cluster lost (kill -9 of a cluster manager and its node):\n');
    const clusterSvc = await deploy('focluster', 2);
    const onB = clusterSvc.list.find((i) => i.node_name === 'fo-b1');
    if (!onB) {
      throw new Error('the two replicas did not spread over the two clusters');
    }
    const b = clusters['fo-b'];
    const killedCluster = Date.now();
    b.cluster.child.kill('SIGKILL');
    b.nodes[0].child.kill('SIGKILL');
    const pollC = (what, pred, timeoutMs) =>
      t.waitFor(what, async () => pred(await instances(clusterSvc.id)) || undefined, timeoutMs, 100);
    await pollC('DEAD', (l) => l.find((i) => i.instance_number === onB.instance_number && i.status === 'DEAD'), 60_000);
    record(
      'cluster lost → instance DEAD at the root',
      Date.now() - killedCluster,
      `CLUSTER_SUSPECT_MS ${timer('CLUSTER_SUSPECT_MS')}`,
    );
    await pollC(
      're-placed RUNNING',
      (l) =>
        l.find(
          (i) => i.instance_number === onB.instance_number && i.status === 'RUNNING' && i.cluster_id !== onB.cluster_id,
        ),
      timer('CLUSTER_LOST_MS') + 90_000,
    );
    record(
      'cluster lost → re-placed RUNNING on the other cluster',
      Date.now() - killedCluster,
      `CLUSTER_LOST_MS ${timer('CLUSTER_LOST_MS')}`,
    );
    const backCluster = Date.now();
    await launchCluster('fo-b', ['fo-b1'], 2);
    await t.waitFor(
      'the lost cluster’s duplicate gone',
      () => {
        const all = t.containersWithLabel(label(clusterSvc.id));
        return all.length === 2 && !all.some((id) => onB.container_id.startsWith(id)) ? all : undefined;
      },
      120_000,
    );
    record('cluster back → its duplicate container gone', Date.now() - backCluster, 'on its first sync with the root');

    console.log('\nfailover, default timers unless set in the environment (real processes, real containers)\n');
    console.log('| what | measured (s) | configured (ms) |');
    console.log('| --- | ---: | --- |');
    for (const r of results) {
      console.log(`| ${r.what} | ${(r.ms / 1000).toFixed(1)} | ${r.configured} |`);
    }
  } catch (err) {
    process.stderr.write(`failover bench failed: ${err.message}\nlogs kept in ${work}\n`);
    for (const p of tiers) {
      process.stderr.write(`--- ${p.name}: ${readFileSync(p.logFile, 'utf8').split('\n').slice(-5).join('\n')}\n`);
    }
    process.exitCode = 1;
  } finally {
    for (const p of [...tiers].reverse()) {
      await t.stopTier(p);
    }
    for (const id of serviceIds) {
      t.removeContainersWithLabel(label(id));
    }
    if (process.exitCode !== 1) {
      rmSync(work, { recursive: true, force: true });
    }
  }
}

void main();
