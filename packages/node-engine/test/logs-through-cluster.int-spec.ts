import { createServer, type Server as HttpServer } from 'node:http';
import { promises as fs } from 'node:fs';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import pino from 'pino';
import { SOCKET_NAMESPACE, type InstanceReportDto, type InstanceSpecDto, type LogsReply } from '@canopy/schema';
import { startCluster, type ClusterHandle } from '@canopy/cluster';
import { startNodeEngine, type NodeEngineHandle } from '../src';
import { ensureTestImage, instanceSpec, removeContainersOfNode, waitFor } from '@canopy/testing';

jest.setTimeout(60_000);

/** socket.io (the server side) is a dev dependency of the cluster package; borrow it to play the root. */
const requireFromCluster = createRequire(path.resolve(__dirname, '../../cluster/package.json'));
const { Server } = requireFromCluster('socket.io') as { Server: new (http: HttpServer) => IoServer };

/** The slice of socket.io's server API this test uses (its types live with the cluster package). */
interface RootSideSocket {
  handshake: { auth: unknown };
  on(event: string, listener: (payload: never, ack: (reply: unknown) => void) => void): void;
  timeout(ms: number): { emitWithAck(event: string, payload: unknown): Promise<unknown> };
}
interface IoServer {
  of(namespace: string): {
    use(middleware: (socket: RootSideSocket, next: (err?: Error) => void) => void): void;
    on(event: 'connection', listener: (socket: RootSideSocket) => void): void;
  };
  close(done: () => void): void;
}

const CLUSTER_TOKEN = 'logs-test-cluster-token';
const log = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });

describe('instance logs: root → cluster (Socket.IO) → node (MQTT) → Docker, all real', () => {
  let dataDir: string;
  let clusterDir: string;
  let http: HttpServer;
  let io: IoServer | undefined;
  let rootSocket: RootSideSocket | undefined;
  let cluster: ClusterHandle;
  let engine: NodeEngineHandle;
  const statuses: InstanceReportDto[] = [];
  const spec: InstanceSpecDto = instanceSpec(`logs${process.pid}`, {
    jobName: 'app.default.logs.default',
    cmd: ['sh', '-c', 'echo hello-from-canopy; echo second line; sleep 300'],
  });

  beforeAll(async () => {
    await ensureTestImage();
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'canopy-logs-node-'));
    clusterDir = await fs.mkdtemp(path.join(os.tmpdir(), 'canopy-logs-cluster-'));
    http = createServer();
    io = new Server(http);
    io.of(SOCKET_NAMESPACE).use((socket, next) => {
      const auth = socket.handshake.auth as { token?: unknown };
      next(auth.token === CLUSTER_TOKEN ? undefined : new Error('unauthorized'));
    });
    io.of(SOCKET_NAMESPACE).on('connection', (socket) => {
      rootSocket = socket;
      socket.on('cluster:sync', (_payload: unknown, ack: (reply: unknown) => void) =>
        ack({ clusterId: 'cluster-logs', desired: [spec] }),
      );
      socket.on('instance:status', (payload: InstanceReportDto, ack: (reply: unknown) => void) => {
        statuses.push(payload);
        ack({ ok: true });
      });
    });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    const rootPort = (http.address() as AddressInfo).port;
    cluster = await startCluster(
      {
        rootUrl: `http://127.0.0.1:${rootPort}`,
        clusterToken: CLUSTER_TOKEN,
        clusterName: 'logs-cluster',
        port: 0,
        host: '127.0.0.1',
        mqttPort: 0,
        dataDir: clusterDir,
        nodeLivenessMs: 3000,
        syncIntervalMs: 1000,
        resourcesIntervalMs: 1000,
      },
      log,
    );
    engine = await startNodeEngine(
      {
        clusterUrl: `http://127.0.0.1:${cluster.port}`,
        nodeToken: cluster.nodeToken,
        nodeName: 'logs-worker',
        dataDir,
        reportIntervalMs: 500,
        allowPrivileged: false,
      },
      log,
    );
  });

  afterAll(async () => {
    await engine?.stop();
    await removeContainersOfNode(engine?.nodeId ?? 'none');
    await cluster?.stop();
    await new Promise<void>((resolve) => (io ? io.close(() => resolve()) : resolve()));
    await fs.rm(dataDir, { recursive: true, force: true });
    await fs.rm(clusterDir, { recursive: true, force: true });
  });

  const askLogs = async (payload: object): Promise<LogsReply> => {
    if (rootSocket === undefined) {
      throw new Error('cluster not connected');
    }
    return (await rootSocket.timeout(10_000).emitWithAck('instance:logs', payload)) as LogsReply;
  };

  it('returns the tail of a running instance log to the root', async () => {
    await waitFor(
      'the instance RUNNING at the root',
      () => statuses.find((s) => s.serviceId === spec.serviceId && s.status === 'RUNNING'),
      30_000,
    );
    const reply = await waitFor('both lines', async () => {
      const r = await askLogs({ serviceId: spec.serviceId, instanceNumber: 0, generation: 1, tail: 2 });
      return r.ok && r.lines.length === 2 ? r : undefined;
    });
    expect(reply).toEqual({ ok: true, lines: ['hello-from-canopy', 'second line'] });
  });

  it('answers for an instance the cluster does not have, and refuses a malformed request', async () => {
    expect(await askLogs({ serviceId: 'nope', instanceNumber: 0, generation: 1, tail: 5 })).toEqual({
      ok: false,
      error: 'instance not found on this cluster',
    });
    const bad = await askLogs({ serviceId: spec.serviceId, instanceNumber: 0, generation: 1, tail: 0 });
    expect(bad.ok).toBe(false);
  });
});
