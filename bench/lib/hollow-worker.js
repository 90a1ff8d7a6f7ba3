/**
 * One worker process of hollow nodes (as Kubernetes' kubemark): each hollow node registers over
 * HTTP exactly as packages/node-engine does (`POST /api/node/register`, the join token, the same
 * body), then opens mqtt.js with the engine's options (MQTT 3.1.1, clean: false, client id
 * `canopy-node-<id>`, QoS 1 subscription to `nodes/<id>/control/+`) and sends what the engine sends:
 * `information` and `jobs/resources` (QoS 0) on connect and every interval, `job` (QoS 1) on every
 * status change. It answers deploy / delete / sync commands as if the container started at once,
 * and may carry `instances` simulated instances so `jobs/resources` has a realistic list.
 *
 * Started by bench/lib/hollow-fleet.js with `fork`; talks to it over IPC only.
 */
'use strict';
const { randomBytes } = require('node:crypto');
const net = require('node:net');
const { join } = require('node:path');
const mqtt = require(require.resolve('mqtt', { paths: [join(__dirname, '../../packages/node-engine')] }));

const { command, statusOf } = require('./hollow-commands');
const { MQTT_CONNACK_TIMEOUT_MS } = require('../../packages/schema/lite.js');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

let options;
const nodes = [];
let stopping = false;
const counters = {
  registered: 0,
  connected: 0,
  registerRetries: 0,
  refused: 0,
  published: 0,
  commands: 0,
  closedBeforeConnect: 0,
  /** Retries answered 409 NODE_NAME_TAKEN: an earlier attempt registered the name, its answer was lost. */
  nameTakenAfterRetry: 0,
};
const registeredAt = [];

process.on('message', (msg) => {
  if (msg.type === 'start') {
    options = msg;
    start().catch((err) => process.send({ type: 'error', error: String(err && err.stack ? err.stack : err) }));
  } else if (msg.type === 'stats') {
    process.send({ type: 'stats', stats: stats() });
  } else if (msg.type === 'stop') {
    stop().then(() => process.exit(0));
  }
});

/** As the node engine's reconnectDelayMs: doubling from 1 s to 10 s, each drawn from 50-150 %. */
function reconnectDelayMs(attempt) {
  return Math.round(Math.min(10_000, 1000 * 2 ** Math.min(attempt, 30)) * (0.5 + Math.random()));
}

function stats() {
  let connected = 0;
  const intervals = {};
  let paced = 0;
  for (const n of nodes) {
    paced += n.paced ?? 0;
    if (n.client && n.client.connected) {
      connected++;
    }
    if (n.intervalMs !== undefined) {
      intervals[n.intervalMs] = (intervals[n.intervalMs] ?? 0) + 1;
    }
  }
  const usage = process.cpuUsage();
  const at = registeredAt.splice(0);
  return {
    ...counters,
    connected,
    paced,
    intervals,
    registeredAt: at,
    cpuMicros: usage.user + usage.system,
    rssBytes: process.memoryUsage().rss,
  };
}

async function start() {
  const { first, count, concurrency } = options;
  const queue = [];
  for (let i = first; i < first + count; i++) {
    queue.push(i);
  }
  const runOne = async () => {
    while (queue.length > 0 && !stopping) {
      const index = queue.shift();
      const node = { index, name: `${options.prefix}-${String(index).padStart(6, '0')}` };
      nodes.push(node);
      await register(node);
      connect(node);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, runOne));
}

/** The node engine's registration body (describeThisMachine), with a size drawn per node. */
function registrationBody(node) {
  const sizes = [
    [2, 4096],
    [4, 8192],
    [8, 16384],
    [16, 32768],
  ];
  const [cpuCores, memoryMb] = sizes[node.index % sizes.length];
  node.cpuCores = cpuCores;
  node.memoryMb = memoryMb;
  return {
    name: node.name,
    arch: node.index % 5 === 0 ? 'arm64' : 'amd64',
    cpuCores,
    memoryMb,
    gpus: 0,
    labels: { zone: `z${node.index % 4}`, hollow: 'true' },
  };
}

/**
 * Retried like the engine: exponential backoff from 250 ms to 10 s on 5xx, 429 and network errors,
 * every try with the same random `attemptId` (as the engine's registration-attempt.json), so a try
 * whose answer came after the 10 s timeout does not leave the name taken.
 */
async function register(node) {
  const body = JSON.stringify({ ...registrationBody(node), attemptId: randomBytes(24).toString('base64url') });
  let delay = 250;
  for (;;) {
    let status = 0;
    let text = '';
    try {
      const res = await fetch(`${options.clusterUrl}/api/node/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${options.nodeToken}` },
        body,
        signal: AbortSignal.timeout(10_000),
      });
      status = res.status;
      text = await res.text();
    } catch {
      status = 0;
    }
    if (status === 200) {
      const reply = JSON.parse(text);
      node.id = reply.id;
      node.login = reply.mqtt;
      node.port = reply.MQTT_BROKER_PORT;
      node.host = reply.MQTT_BROKER_HOST ?? new URL(options.clusterUrl).hostname;
      counters.registered++;
      registeredAt.push(Date.now());
      return;
    }
    if (status === 409 && delay > 250 && text.includes('NODE_NAME_TAKEN')) {
      // The cluster did not take our own retried attempt (it should): counted, and this node gives up.
      counters.nameTakenAfterRetry++;
      return;
    }
    // 409 NODE_CONNECTED is retried, as the engine does.
    if (status >= 400 && status < 500 && status !== 429 && !(status === 409 && text.includes('NODE_CONNECTED'))) {
      throw new Error(`registration of ${node.name} refused with ${status}: ${text.slice(0, 200)}`);
    }
    counters.registerRetries++;
    if (stopping) {
      return;
    }
    await sleep(delay * (0.5 + Math.random()));
    delay = Math.min(10_000, delay * 2);
  }
}

function connect(node) {
  if (stopping || node.id === undefined) {
    return;
  }
  node.instances = new Map();
  for (let i = 0; i < options.instances; i++) {
    const serviceId = `hollow-svc-${i}`;
    node.instances.set(`${serviceId}#${node.index}`, {
      serviceId,
      instanceNumber: node.index,
      generation: 1,
      jobName: `hollow-job-${i}`,
      status: 'RUNNING',
      containerId: `${node.id}-${i}`.padEnd(64, '0').slice(0, 64),
      hostPorts: [],
      at: Date.now(),
    });
  }
  // mqtt.js's own TCP stream has no source address; past 20,000 nodes the fleet gives each node
  // one (see sourceAddressesFor in hollow-fleet.js), through mqtt.js's stream-builder constructor.
  const sources = options.sourceAddresses ?? [];
  const localAddress = sources.length === 0 ? undefined : sources[node.index % sources.length];
  const dial = () =>
    net.createConnection({ host: node.host, port: node.port, ...(localAddress ? { localAddress } : {}) });
  const client = new mqtt.MqttClient(dial, {
    host: node.host,
    port: node.port,
    protocol: 'mqtt',
    protocolVersion: 4,
    clientId: `canopy-node-${node.id}`,
    username: node.login.username,
    password: node.login.password,
    clean: false,
    reconnectPeriod: reconnectDelayMs(0),
    connectTimeout: MQTT_CONNACK_TIMEOUT_MS, // as the node engine
  });
  node.client = client;
  node.intervalMs = options.intervalMs;
  // mqtt.js reads reconnectPeriod as a connection closes: each event sets the next wait (the engine's way).
  let attempt = 0;
  let up = false;
  client.on('close', () => {
    // Closed before its CONNACK: turned away (MQTT_CONNECT_RATE) or timed out.
    if (!up) {
      counters.closedBeforeConnect++;
    }
    up = false;
    client.options.reconnectPeriod = reconnectDelayMs(++attempt);
  });
  const topic = (kind) => `nodes/${node.id}/${kind}`;
  const publish = (kind, payload, qos) => {
    if (qos === 0 && !client.connected) {
      return;
    }
    counters.published++;
    client.publish(topic(kind), JSON.stringify(payload), { qos }, () => undefined);
  };
  node.cpu = 5 + (node.index % 40);
  const report = () => {
    const at = Date.now();
    node.cpu = Math.max(0, Math.min(100, node.cpu + (Math.random() - 0.5) * 4));
    publish(
      'information',
      {
        cpuCores: node.cpuCores,
        cpuPercent: Math.round(node.cpu * 10) / 10,
        memoryTotalMb: node.memoryMb,
        memoryFreeMb: Math.floor(node.memoryMb * 0.6),
        diskTotalMb: 102400,
        diskFreeMb: 51200,
        netRxBps: Math.floor(Math.random() * 1e5),
        netTxBps: Math.floor(Math.random() * 1e5),
        gpus: 0,
        arch: node.index % 5 === 0 ? 'arm64' : 'amd64',
        at,
        reportIntervalMs: node.intervalMs,
      },
      0,
    );
    const instances = [...node.instances.values()].map((r) => statusOf(node, r, false));
    publish('jobs/resources', { instances, at }, 0);
  };
  client.on('connect', () => {
    up = true;
    attempt = 0;
    client.options.reconnectPeriod = reconnectDelayMs(0);
    counters.connected++;
    client.subscribe([`nodes/${node.id}/control/+`], { qos: 1 }, () => undefined);
    report();
    if (node.timer === undefined) {
      node.timer = setInterval(report, node.intervalMs);
    }
  });
  node.report = report;
  client.on('message', (t, payload) => {
    counters.commands++;
    command(node, t.slice(t.lastIndexOf('/') + 1), payload, publish);
  });
  client.on('error', (err) => {
    if (typeof err.code === 'number') {
      counters.refused++;
    }
  });
}

async function stop() {
  stopping = true;
  await Promise.all(
    nodes.map((n) => {
      clearInterval(n.timer);
      clearTimeout(n.paceTimer);
      return n.client ? n.client.endAsync(true).catch(() => undefined) : undefined;
    }),
  );
}
