import { EventEmitter } from 'node:events';
import pino from 'pino';
import { ClusterGateway } from './cluster.gateway';
import type { ClusterIdentityService } from './cluster-identity.service';
import type { ClustersService } from './clusters.service';
import type { InstancesService } from '../instances/instances.service';
import type { InstanceUsageStore } from '../instances/instance-usage.store';

/** A connection whose attach the registry refuses (it lost a race for its name to another one). */
function refusedConnection() {
  const events = new EventEmitter();
  const socket = Object.assign(events, {
    id: 'conn-1',
    data: {},
    disconnected: false,
    handshake: { auth: { token: 'shared-token-shared-token', name: 'edge' }, address: '127.0.0.1' },
    onAny: () => undefined,
    disconnect: () => {
      socket.disconnected = true;
    },
  });
  const clusters = {
    attach: () => Promise.reject(new Error('cluster edge is already connecting')),
    heard: () => undefined,
    detach: () => undefined,
  } as unknown as ClustersService;
  const gateway = new ClusterGateway(
    clusters,
    {} as InstancesService,
    {} as InstanceUsageStore,
    {} as ClusterIdentityService,
    pino({ level: 'silent' }),
  );
  return { socket, gateway };
}

describe('ClusterGateway', () => {
  it('drops the events of a connection whose attach failed, without an unhandled rejection', async () => {
    const rejections: unknown[] = [];
    const onRejection = (reason: unknown) => rejections.push(reason);
    process.on('unhandledRejection', onRejection);
    try {
      const { socket, gateway } = refusedConnection();
      const connected = gateway.handleConnection(socket as never);
      const answers: unknown[] = [];
      socket.emit('cluster:resources', {});
      socket.emit('cluster:heartbeat', { sentAt: 1 });
      socket.emit('instance:usage', { instances: [] });
      socket.emit('instance:status', {}, (reply: unknown) => answers.push(reply));
      socket.emit('cluster:sync', {}, (reply: unknown) => answers.push(reply));
      await connected;
      // Unhandled rejections are reported once the microtask queue is drained: a macrotask later.
      await new Promise<void>((resolve) => setTimeout(resolve, 0));
      await new Promise<void>((resolve) => setImmediate(resolve));
      expect(socket.disconnected).toBe(true);
      expect(answers).toEqual([
        { ok: false, error: 'internal error' },
        { ok: false, error: 'internal error' },
      ]);
      expect(rejections).toEqual([]);
    } finally {
      process.off('unhandledRejection', onRejection);
    }
  });
});
