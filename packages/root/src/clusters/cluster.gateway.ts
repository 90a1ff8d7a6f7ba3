import { Inject } from '@nestjs/common';
import {
  WebSocketGateway,
  type OnGatewayConnection,
  type OnGatewayDisconnect,
  type OnGatewayInit,
} from '@nestjs/websockets';
import type { Logger } from 'pino';
import type { Namespace, Socket } from 'socket.io';
import {
  ClusterHandshakeDto,
  ClusterHeartbeatDto,
  ClusterResourcesDto,
  ClusterSyncDto,
  InstanceReportDto,
  SOCKET_NAMESPACE,
  parseClusterUsage,
  validateInput,
  type Ack,
  type ClusterToRootEvents,
  type RootToClusterEvents,
} from '@canopy/schema';
import { LOGGER } from '../common/tokens';
import { InstancesService } from '../instances/instances.service';
import { InstanceUsageStore } from '../instances/instance-usage.store';
import { ClusterIdentityService } from './cluster-identity.service';
import { ClustersService, type ClusterChannel } from './clusters.service';

type ClusterSocket = Socket<ClusterToRootEvents, RootToClusterEvents, Record<string, never>, { clusterId?: string }>;

function fieldErrors(errors: { path: string; message: string }[]): string {
  return errors.map((e) => `${e.path}: ${e.message}`).join('; ');
}

/**
 * Clusters dial the root (so they work from behind NAT) on the `/clusters` namespace and
 * authenticate in the handshake with their own credential (or the shared cluster token, where
 * allowed: `ClusterIdentityService`). Every event payload is validated with the
 * same schema classes as HTTP bodies; a bad one is answered with an error, never a crash.
 */
// Socket.IO's own ping (defaults 25 s + 20 s) would notice a hung cluster only after ~45 s; with a
// ping every 3 s and 5 s to answer, a dead connection is closed within ~8 s. The application-level
// `cluster:heartbeat` (every 2 s) is what CLUSTER_SUSPECT_MS judges, connected or not.
@WebSocketGateway({
  namespace: SOCKET_NAMESPACE,
  maxHttpBufferSize: 4 * 1024 * 1024,
  pingInterval: 3_000,
  pingTimeout: 5_000,
})
export class ClusterGateway implements OnGatewayInit, OnGatewayConnection, OnGatewayDisconnect {
  constructor(
    private readonly clusters: ClustersService,
    private readonly instances: InstancesService,
    private readonly usage: InstanceUsageStore,
    private readonly identity: ClusterIdentityService,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

  afterInit(namespace: Namespace): void {
    namespace.use((socket, next) => {
      const hs = validateInput(ClusterHandshakeDto, socket.handshake.auth);
      if (!hs.ok) {
        return next(new Error(`invalid handshake: ${fieldErrors(hs.errors)}`));
      }
      const { name } = hs.value;
      this.identity.admit(name, hs.value.token).then(
        (admission) => {
          if (!admission.ok) {
            this.log.warn(
              { cluster: name, address: socket.handshake.address, reason: admission.reason },
              'cluster refused',
            );
            return next(new Error(admission.reason));
          }
          next();
        },
        (err: unknown) => {
          this.log.error({ err, cluster: name }, 'cluster admission failed');
          next(new Error('internal error'));
        },
      );
    });
  }

  async handleConnection(socket: ClusterSocket): Promise<void> {
    const hs = validateInput(ClusterHandshakeDto, socket.handshake.auth);
    if (!hs.ok) {
      socket.disconnect(true);
      return;
    }
    const channel: ClusterChannel = {
      connectionId: socket.id,
      deploy: (spec, timeoutMs) =>
        socket.timeout(timeoutMs).emitWithAck('instance:deploy', spec).catch(noAck(timeoutMs)),
      delete: (key, timeoutMs) => socket.timeout(timeoutMs).emitWithAck('instance:delete', key).catch(noAck(timeoutMs)),
      logs: (request, timeoutMs) =>
        socket.timeout(timeoutMs).emitWithAck('instance:logs', request).catch(noAck(timeoutMs)),
    };
    // Events of one cluster are handled strictly in arrival order: a NODE_SCHEDULED must be
    // applied before the CREATING that follows it. Listeners go on before any await, so a sync
    // sent right after connecting is not lost.
    let queue: Promise<unknown> = Promise.resolve();
    const inOrder = (fn: () => Promise<void>) => {
      queue = queue.then(fn, fn);
    };
    const ready = this.clusters.attach(hs.value.name, hs.value.location, channel).then((record) => {
      socket.data.clusterId = record.id;
      // Gone while it was being attached: `handleDisconnect` had no id yet, so let go here.
      if (socket.disconnected) {
        this.clusters.detach(record.id, socket.id);
      }
      return record.id;
    });
    // Anything the cluster sends proves it is alive, whatever the event.
    socket.onAny(() => {
      ready.then((clusterId) => this.clusters.heard(clusterId)).catch(() => undefined);
    });
    socket.on('cluster:heartbeat', (payload) => {
      ready
        .then((clusterId) => {
          const beat = validateInput(ClusterHeartbeatDto, payload);
          if (!beat.ok) {
            this.log.warn({ clusterId, errors: beat.errors }, 'invalid cluster heartbeat');
          }
        })
        .catch(() => undefined);
    });
    onAcked(socket, 'cluster:sync', (payload, ack) => {
      inOrder(() =>
        this.guard(ack, async () => {
          const clusterId = await ready;
          const sync = validateInput(ClusterSyncDto, payload);
          if (!sync.ok) {
            return { ok: false, error: fieldErrors(sync.errors) };
          }
          this.clusters.setResources(clusterId, sync.value.resources);
          const desired = await this.instances.syncCluster(clusterId, sync.value.instances);
          return { clusterId, desired };
        }),
      );
    });
    socket.on('cluster:resources', (payload) => {
      ready
        .then((clusterId) => {
          const resources = validateInput(ClusterResourcesDto, payload);
          if (resources.ok) {
            this.clusters.setResources(clusterId, resources.value);
          } else {
            this.log.warn({ clusterId, errors: resources.errors }, 'invalid cluster resources dropped');
          }
        })
        // A connection whose attach was refused (logged below) has nothing to apply this to.
        .catch(() => undefined);
    });
    socket.on('instance:usage', (payload) => {
      ready
        .then(async (clusterId) => {
          const batch = parseClusterUsage(payload);
          if (!batch.ok) {
            this.log.warn({ clusterId, errors: batch.errors.slice(0, 5) }, 'invalid instance usage dropped');
            return;
          }
          await this.usage.record(clusterId, batch.value.instances);
        })
        .catch((err: unknown) => this.log.warn({ err }, 'recording instance usage failed'));
    });
    onAcked(socket, 'instance:status', (payload, ack) => {
      inOrder(() =>
        this.guard(ack, async () => {
          const clusterId = await ready;
          const report = validateInput(InstanceReportDto, payload);
          if (!report.ok) {
            return { ok: false, error: fieldErrors(report.errors) };
          }
          await this.instances.applyReport(clusterId, report.value);
          return { ok: true };
        }),
      );
    });
    await ready.catch((error: unknown) => {
      this.log.warn({ err: (error as Error).message, cluster: hs.value.name }, 'cluster attach refused');
      socket.disconnect(true);
    });
  }

  handleDisconnect(socket: ClusterSocket): void {
    if (socket.data.clusterId) {
      this.clusters.detach(socket.data.clusterId, socket.id);
    }
  }

  /** Runs a handler and always answers the ack, even when the handler throws. */
  private async guard<R>(ack: unknown, fn: () => Promise<R>): Promise<void> {
    const reply = typeof ack === 'function' ? (ack as (r: R | Ack) => void) : undefined;
    try {
      const result = await fn();
      reply?.(result);
    } catch (error) {
      this.log.error({ err: error }, 'cluster event failed');
      reply?.({ ok: false, error: 'internal error' });
    }
  }
}

/**
 * Listens to an acked event whatever arguments it comes with: Socket.IO passes the ack as the last
 * argument, so a message without a payload or with extra arguments still has its ack answered
 * (and the payload, if any, is the first argument).
 */
function onAcked(
  socket: ClusterSocket,
  event: 'cluster:sync' | 'instance:status',
  fn: (payload: unknown, ack: unknown) => void,
): void {
  (socket as unknown as Socket).on(event, (...args: unknown[]) => {
    const last = args.at(-1);
    const ack = typeof last === 'function' ? last : undefined;
    const payloads = ack === undefined ? args : args.slice(0, -1);
    fn(payloads[0], ack);
  });
}

function noAck(timeoutMs: number): () => { ok: false; error: string } {
  return () => ({ ok: false, error: `no ack within ${timeoutMs} ms` });
}
