import { promises as fs, readFileSync } from 'node:fs';
import pino, { type Logger } from 'pino';
import { NodeTopics } from '@canopy/schema/lite';
import type { NodeRegisterResponse } from '@canopy/schema';
import {
  completeNodeEngineConfig,
  restartBackoffOf,
  type NodeEngineConfig,
  type NodeEngineConfigInit,
} from '../config/node-engine.config';
import type { Subscription } from '../docker/container-runtime.port';
import { DockerRuntimeAdapter } from '../docker/docker-runtime.adapter';
import { InstanceUsageCollector } from '../metrics/instance-usage.collector';
import { NodeMetricsCollector } from '../metrics/node-metrics.collector';
import { DEFAULT_RESOURCE_LIMITS } from '../policy/resource-limits';
import { EngineStatusWriter, type EngineStatus } from '../state/engine-status.file';
import { openMqttLink, type MqttLink } from '../mqtt/mqtt-link.adapter';
import { brokerAddress, describeThisMachine, nodeArch } from '../registration/cluster-registration.client';
import { registerAsThisNode } from '../registration/node-credential';
import { DesiredStateRepository } from '../state/desired-state.repository';
import { PrivateImageStore } from '../state/private-images.file';
import { systemClock } from './clock.port';
import { nodeSelector } from './container-spec';
import { commandHandler } from './command-handler';
import { safetyPolicyOf } from './engine-policy';
import { InstanceManager } from './instance-manager.service';
import { ReportPacer } from './report-pacer';
import type { NodeEngineHandle, NodeEnginePorts } from './node-engine.port';

export type { NodeEngineHandle, NodeEnginePorts } from './node-engine.port';

/** How often RUNNING instances are compared with `docker ps` in case a Docker event was lost. */
const DRIFT_CHECK_EVERY_MS = 10_000;

/**
 * Registers with the cluster, adopts this node's containers, connects to the broker and serves
 * commands until `stop()`. Resolves once registered and adopted (MQTT connects in the background
 * and reconnects by itself). Should the cluster give the node a new id on a re-registration, the
 * engine starts over under that id (`nodeId` then reads the new one).
 */
export async function startNodeEngine(
  init: NodeEngineConfigInit,
  logger?: Logger,
  ports: NodeEnginePorts = {},
): Promise<NodeEngineHandle> {
  const config = completeNodeEngineConfig(init);
  const base = logger ?? pino({ name: 'canopy-node-engine', level: config.logLevel });
  const log = base.child({ component: 'node-engine' });
  let stopping = false;
  // Aborts a registration still retrying in a restart, so stop() never waits on an absent cluster.
  const outer = new AbortController();
  let restarting: Promise<void> | undefined;
  const onNewIdentity = (): void => {
    restarting ??= (async () => {
      await current.stop();
      if (!stopping) {
        current = await startEngineOnce(config, log, ports, onNewIdentity, outer.signal);
      }
    })()
      .catch((err: unknown) => {
        if (!stopping) {
          log.error({ err: (err as Error).message }, 'restarting under the new node id failed');
        }
      })
      .finally(() => {
        restarting = undefined;
      });
  };
  let current = await startEngineOnce(config, log, ports, onNewIdentity, outer.signal);
  return {
    get nodeId() {
      return current.nodeId;
    },
    stop: async () => {
      stopping = true;
      outer.abort();
      await restarting;
      await current.stop();
    },
  };
}

async function startEngineOnce(
  config: NodeEngineConfig,
  log: Logger,
  ports: NodeEnginePorts,
  onNewIdentity: () => void,
  outerStop: AbortSignal,
): Promise<NodeEngineHandle> {
  // Only the engine's user enters the data directory (SPEC §9): it holds the node's credential and
  // the desired state with registry credentials. Tightened also when it existed with a looser mode.
  await fs.mkdir(config.dataDir, { recursive: true, mode: 0o700 });
  await fs.chmod(config.dataDir, 0o700);
  const clock = ports.clock ?? systemClock;
  const runtime =
    ports.runtime ??
    new DockerRuntimeAdapter(config.dockerSocket, {
      ...DEFAULT_RESOURCE_LIMITS,
      pidsLimit: config.pidsLimit,
      defaultMemoryBytes: config.defaultMemoryMb * 1024 * 1024,
      defaultNanoCpus: Math.round(config.defaultVcpus * 1e9),
    });
  await runtime.ping();

  const policy = safetyPolicyOf(config, config.gpus, await runtime.dataRoot());
  const lifetime = new AbortController();
  outerStop.addEventListener('abort', () => lifetime.abort(), { once: true });
  const machine = describeThisMachine(
    config.nodeName,
    config.publicIp,
    config.labels,
    config.gpus,
    config.location,
    config.ieId,
  );
  const identity = { clusterUrl: config.clusterUrl, joinToken: config.nodeToken, dataDir: config.dataDir };
  const register = (): Promise<NodeRegisterResponse> => registerAsThisNode(identity, machine, log, lifetime.signal);

  let registration = await register().catch((err: unknown) => {
    log.error({ err: (err as Error).message, clusterUrl: config.clusterUrl }, 'node registration failed');
    throw err;
  });
  const nodeId = registration.id;
  const nodeLog = log.child({ nodeId });
  nodeLog.info({ clusterUrl: config.clusterUrl, nodeName: config.nodeName }, 'node registered');

  let link: MqttLink | undefined;
  const store = new DesiredStateRepository(config.dataDir, nodeId, nodeLog);
  const manager = new InstanceManager({
    runtime,
    store,
    nodeId,
    nodeName: config.nodeName,
    publicIp: config.publicIp,
    policy,
    backoff: restartBackoffOf(config),
    clock,
    publish: (message) => link?.publish(NodeTopics.job(nodeId), message, 1),
    log: nodeLog,
    privateImages: await PrivateImageStore.open(config.dataDir),
  });
  const metrics = new NodeMetricsCollector(config.dataDir, nodeArch(), clock, config.gpus);
  const usage = new InstanceUsageCollector((id) => runtime.containerStats(id), {
    fallbackIntervalMs: Math.max(10_000, config.reportIntervalMs * 5),
    clock,
  });

  const engineStatus: EngineStatus = {
    pid: process.pid,
    nodeId,
    nodeName: config.nodeName,
    clusterUrl: config.clusterUrl,
    mqttConnected: false,
    since: clock.now(),
    startedAt: clock.now(),
  };
  const statusFile = new EngineStatusWriter(config.dataDir, (err) =>
    nodeLog.warn({ err: err.message }, 'writing engine status file failed'),
  );
  const saveStatus = (change: Partial<EngineStatus>): void => {
    Object.assign(engineStatus, change);
    void statusFile.write(engineStatus);
  };
  saveStatus({});

  // Watch before listing so no exit falls between the two.
  const exits: Subscription = runtime.watchExits(nodeSelector(nodeId), (exit) => manager.onContainerExit(exit));
  await manager.restore(await store.load());

  let reporting = false;
  let lastDriftCheck = 0;
  const pacer = new ReportPacer(config.reportIntervalMs, () => kickReport());
  const report = async (): Promise<void> => {
    if (reporting || link === undefined) {
      return;
    }
    reporting = true;
    try {
      // Heartbeat first: a slow Docker must not make the cluster think the node is gone.
      const info = { ...(await metrics.collect()), reportIntervalMs: pacer.intervalMs };
      link?.publish(NodeTopics.information(nodeId), info, 0);
      // The drift check lists every container through Docker: a backstop for lost `die` events,
      // so it runs on a slower beat than the report (it was most of the idle CPU with 50 instances).
      if (clock.now() - lastDriftCheck >= DRIFT_CHECK_EVERY_MS) {
        lastDriftCheck = clock.now();
        await manager
          .checkDrift()
          .catch((err: unknown) => nodeLog.warn({ err: (err as Error).message }, 'drift check failed'));
      }
      const used = await usage.sample(manager.runningContainerIds());
      // Periodic and superseded by the next one, so QoS 0 like the heartbeat; changes go QoS 1 on `job`.
      link?.publish(NodeTopics.jobResources(nodeId), { instances: manager.snapshot(used), at: clock.now() }, 0);
    } finally {
      reporting = false;
    }
  };
  const kickReport = (): void => {
    report().catch((err: unknown) => nodeLog.warn({ err: (err as Error).message }, 'report failed'));
  };

  const onMessage = (topic: string, payload: Buffer): void => {
    handleCommand(topic, payload).catch((err: unknown) =>
      nodeLog.error({ topic, err: (err as Error).message }, 'command failed'),
    );
  };
  const handleCommand = commandHandler({
    nodeId,
    manager,
    runtime,
    replyLogs: (reply) => link?.publish(NodeTopics.logsReply(nodeId), reply, 1),
    setReportInterval: (ms) => pacer.setIntervalMs(ms),
    log: nodeLog,
  });

  let relinking: Promise<void> | undefined;
  const connect = (reply: NodeRegisterResponse): MqttLink => {
    const { tls, ...broker } = brokerAddress(config.clusterUrl, reply);
    return openMqttLink(
      {
        ...broker,
        tls: tls ? { ca: config.caFile === undefined ? undefined : readFileSync(config.caFile) } : undefined,
        clientId: `canopy-node-${nodeId}`,
        username: reply.mqtt.username,
        password: reply.mqtt.password,
        subscriptions: [NodeTopics.controlWildcard(nodeId)],
      },
      {
        onMessage,
        onConnect: () => {
          saveStatus({ mqttConnected: true, since: clock.now() });
          kickReport();
        },
        onRefused: (reason) => relink(reason),
        onOffline: () => saveStatus({ mqttConnected: false, since: clock.now() }),
      },
      nodeLog,
    );
  };
  // The broker refused our credentials (e.g. the cluster restarted and forgot them): register again
  // for fresh ones, then reconnect.
  const relink = (reason: string): void => {
    if (relinking !== undefined || lifetime.signal.aborted) {
      return;
    }
    nodeLog.warn({ reason }, 'broker refused the node, registering again');
    relinking = (async () => {
      await link?.close();
      link = undefined;
      registration = await register();
      if (lifetime.signal.aborted) {
        return;
      }
      if (registration.id !== nodeId) {
        // The cluster lost this node and another holds its old id: topics, labels and the desired
        // state are all keyed by the id, so the engine starts over under the new one.
        nodeLog.warn({ newNodeId: registration.id }, 'cluster assigned a new node id; restarting the engine under it');
        onNewIdentity();
        return;
      }
      link = connect(registration);
    })()
      .catch((err: unknown) => {
        if (!lifetime.signal.aborted) {
          nodeLog.error({ err: (err as Error).message }, 're-registration failed');
        }
      })
      .finally(() => {
        relinking = undefined;
      });
  };

  link = connect(registration);
  pacer.start();

  let stopped: Promise<void> | undefined;
  return {
    nodeId,
    stop: () => {
      stopped ??= (async () => {
        lifetime.abort();
        pacer.stop();
        exits.close();
        manager.close();
        await relinking;
        // Let commands in flight finish so Docker and the desired-state file agree.
        await manager.idle();
        await link?.close();
        link = undefined;
        saveStatus({ mqttConnected: false, since: clock.now(), stoppedAt: clock.now() });
        await statusFile.write(engineStatus);
        nodeLog.info('node engine stopped; containers left running');
      })();
      return stopped;
    },
  };
}
