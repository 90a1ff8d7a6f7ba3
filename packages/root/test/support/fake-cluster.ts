import { io, type Socket } from 'socket.io-client';

/** What a cluster with one idle amd64 node of this size reports in `cluster:sync`. */
export function oneNodeResources(cpuMillis: number, memoryMb: number) {
  return {
    nodes: 1,
    activeNodes: 1,
    cpuMillisTotal: cpuMillis,
    cpuMillisFree: cpuMillis,
    memoryMbTotal: memoryMb,
    memoryMbFree: memoryMb,
    gpusFree: 0,
    largestNodeFree: { cpuMillis, memoryMb, gpus: 0 },
    architectures: ['amd64'],
  };
}

/** One idle node with 2 CPUs and 4 GiB. */
export const ONE_NODE_RESOURCES = oneNodeResources(2000, 4096);

/** A cluster's Socket.IO link to the root (`/clusters`), connected (or the connect error thrown). */
export async function dialCluster(rootUrl: string, token: string, name: string): Promise<Socket> {
  const socket = clusterSocket(rootUrl, token, name);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  return socket;
}

function clusterSocket(rootUrl: string, token: string, name: string): Socket {
  return io(`${rootUrl}/clusters`, { auth: { token, name }, reconnection: false, transports: ['websocket'] });
}

/**
 * A cluster as the root sees one: a real Socket.IO client that acks commands, records them, sends
 * the heartbeat and reports what the test tells it to. `silence()` is a cluster that vanished.
 */
export class FakeCluster {
  readonly socket: Socket;
  // Commands are asserted field by field, as a cluster reads them.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly deploys: any[] = [];
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly deletes: any[] = [];
  private readonly beat: NodeJS.Timeout;

  constructor(
    url: string,
    token: string,
    name: string,
    private readonly resources: Record<string, unknown>,
  ) {
    this.socket = clusterSocket(url, token, name);
    this.socket.on('instance:deploy', (spec: unknown, ack: (r: unknown) => void) => {
      this.deploys.push(spec);
      ack({ ok: true });
    });
    this.socket.on('instance:delete', (key: unknown, ack: (r: unknown) => void) => {
      this.deletes.push(key);
      ack({ ok: true });
    });
    this.beat = setInterval(() => this.socket.emit('cluster:heartbeat', { sentAt: Date.now() }), 200);
  }

  async connected(): Promise<this> {
    if (!this.socket.connected) {
      await new Promise((r) => this.socket.once('connect', () => r(undefined)));
    }
    return this;
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  sync(instances: unknown[] = []): Promise<any> {
    return this.socket.timeout(5000).emitWithAck('cluster:sync', { resources: this.resources, instances });
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  report(report: Record<string, unknown>): Promise<any> {
    return this.socket.timeout(5000).emitWithAck('instance:status', report);
  }

  silence(): void {
    clearInterval(this.beat);
    this.socket.close();
  }
}
