import { promises as fs } from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { startCluster, type ClusterConfigInit, type ClusterHandle } from '@canopy/cluster';
import { LOG_REDACTION } from '@canopy/schema';
import { startNodeEngine, type NodeEngineConfigInit, type NodeEngineHandle } from '../src';
import { removeContainersOfNode, waitFor } from '@canopy/testing';

jest.setTimeout(60_000);

const JOIN_TOKEN = 'identity-join-token-0123';

const lines: string[] = [];
const log = pino(
  { level: 'info', redact: LOG_REDACTION },
  new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString('utf8'));
      done();
    },
  }),
);

interface SavedCredential {
  nodeId: string;
  nodeName: string;
  credential: string;
}

/**
 * SPEC §9 at the node: the engine keeps the credential its first registration gave it (0600) and
 * registers its name again with it, through a real cluster (HTTP, MQTT) and real Docker.
 */
describe('node engine identity against a real cluster', () => {
  let dataDir: string;
  let clusterDir: string;
  let clusterConfig: ClusterConfigInit;
  let cluster: ClusterHandle | undefined;
  let engine: NodeEngineHandle | undefined;
  const ids = new Set<string>();

  const engineConfig = (nodeToken: string): NodeEngineConfigInit => ({
    clusterUrl: `http://127.0.0.1:${clusterConfig.port}`,
    nodeToken,
    nodeName: 'identity-worker',
    dataDir,
    reportIntervalMs: 300,
    allowPrivileged: false,
  });
  const saved = async (): Promise<SavedCredential> =>
    JSON.parse(await fs.readFile(path.join(dataDir, 'node-credential.json'), 'utf8')) as SavedCredential;
  const health = async (): Promise<{ nodes: number; activeNodes: number }> =>
    (await (await fetch(`http://127.0.0.1:${clusterConfig.port}/health`)).json()) as {
      nodes: number;
      activeNodes: number;
    };
  /** Stops the cluster and starts it again on the same ports, optionally from an empty data directory. */
  const restartCluster = async (wipe: boolean): Promise<ClusterHandle> => {
    await cluster?.stop();
    if (wipe) {
      await fs.rm(clusterDir, { recursive: true, force: true });
    }
    cluster = await startCluster(clusterConfig, pino({ level: 'silent' }));
    return cluster;
  };
  const started = async (nodeToken: string): Promise<NodeEngineHandle> => {
    engine = await startNodeEngine(engineConfig(nodeToken), log);
    ids.add(engine.nodeId);
    return engine;
  };

  beforeAll(async () => {
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'canopy-node-identity-'));
    clusterDir = path.join(await fs.mkdtemp(path.join(os.tmpdir(), 'canopy-node-identity-cluster-')), 'data');
    clusterConfig = {
      // No root listens there: the cluster keeps trying and serves its nodes meanwhile.
      rootUrl: 'http://127.0.0.1:9',
      clusterToken: 'identity-cluster-token',
      clusterName: 'identity-cluster',
      port: 0,
      host: '127.0.0.1',
      mqttPort: 0,
      // Fixed, so it survives the data directory resets below (a generated one would not).
      nodeToken: JOIN_TOKEN,
      dataDir: clusterDir,
      nodeLivenessMs: 1500,
      syncIntervalMs: 1000,
      registerRateLimit: 1000,
    };
    cluster = await startCluster(clusterConfig, pino({ level: 'silent' }));
    // Restarts reuse the ports, so the engine's broker link finds the cluster again.
    clusterConfig = { ...clusterConfig, port: cluster.port, mqttPort: cluster.mqttPort };
  });

  afterAll(async () => {
    await engine?.stop();
    await cluster?.stop();
    for (const id of ids) {
      await removeContainersOfNode(id);
    }
    await fs.rm(dataDir, { recursive: true, force: true });
    await fs.rm(path.dirname(clusterDir), { recursive: true, force: true });
  });

  it('keeps the credential from its first registration in a 0600 file, never in its log', async () => {
    // An operator's looser directory is tightened: the directory 0700, every file in it 0600.
    await fs.chmod(dataDir, 0o755);
    const first = await started(JOIN_TOKEN);
    await waitFor('the node active at the cluster', async () => (await health()).activeNodes === 1);
    const file = await saved();
    expect(file).toEqual({ nodeId: first.nodeId, nodeName: 'identity-worker', credential: expect.any(String) });
    expect((await fs.stat(path.join(dataDir, 'node-credential.json'))).mode & 0o777).toBe(0o600);
    expect(lines.join('')).not.toContain(file.credential);
    expect((await fs.stat(dataDir)).mode & 0o777).toBe(0o700);
    await waitFor('the engine status written', async () => (await fs.readdir(dataDir)).includes('engine-status.json'));
    for (const name of await fs.readdir(dataDir)) {
      expect([name, (await fs.stat(path.join(dataDir, name))).mode & 0o777]).toEqual([name, 0o600]);
    }
  });

  it('registers its name again with that credential, even once the join token is gone', async () => {
    const before = engine!.nodeId;
    await engine!.stop();
    // A join token would be refused for a known name (409); the credential is what gets it in.
    const again = await started('not-the-join-token');
    expect(again.nodeId).toBe(before);
    await waitFor('the node active again', async () => (await health()).activeNodes === 1);
    expect((await health()).nodes).toBe(1);
  });

  it('keeps its id when the cluster forgot it (data directory reset), through the join token', async () => {
    const before = engine!.nodeId;
    await engine!.stop();
    engine = undefined;
    await restartCluster(true);
    const again = await started(JOIN_TOKEN);
    expect(again.nodeId).toBe(before);
    // The new cluster handed out a new credential, and the engine kept it.
    expect(await saved()).toMatchObject({ nodeId: before });
    await waitFor('the node active at the fresh cluster', async () => (await health()).activeNodes === 1);
  });

  it('adopts the id the cluster gives it when its old one is taken, and serves under it', async () => {
    const before = engine!.nodeId;
    const fresh = await restartCluster(true);
    // Another node claims the old id first; the engine's broker login is refused, it registers again.
    const squatter = await fetch(`http://127.0.0.1:${fresh.port}/api/node/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${JOIN_TOKEN}` },
      body: JSON.stringify({ name: 'squatter', arch: 'amd64', cpuCores: 1, memoryMb: 256, previousId: before }),
    });
    expect(await squatter.json()).toMatchObject({ id: before });
    await waitFor('the engine under a new id', () => engine!.nodeId !== before, 20_000);
    ids.add(engine!.nodeId);
    expect(await saved()).toMatchObject({ nodeId: engine!.nodeId });
    // Heartbeats on the new id's topics reach the cluster (the squatter never beats).
    await waitFor('the engine active under its new id', async () => (await health()).activeNodes === 1, 20_000);
  });

  it('takes an operator reset while running: refused NODE_CONNECTED while still heard from, retried, same id', async () => {
    // A wide liveness window, so the engine's first join-token attempt surely finds itself still live.
    clusterConfig = { ...clusterConfig, nodeLivenessMs: 4000 };
    const fresh = await restartCluster(false);
    const id = engine!.nodeId;
    await waitFor('the engine active at the restarted cluster', async () => (await health()).activeNodes === 1, 20_000);
    const before = await saved();
    lines.length = 0;
    const reset = await fetch(`http://127.0.0.1:${fresh.port}/api/nodes/identity-worker/credential`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${fresh.adminToken}` },
    });
    expect(reset.status).toBe(204);
    // Its broker login ends; its credential is void (401), the join token is refused while it is
    // still heard from (409 NODE_CONNECTED) and retried until it is admitted under its own id.
    await waitFor('a new credential saved', async () => (await saved()).credential !== before.credential, 30_000);
    expect(await saved()).toMatchObject({ nodeId: id, nodeName: 'identity-worker' });
    expect(lines.some((l) => l.includes('cluster registration failed, retrying') && l.includes('NODE_CONNECTED'))).toBe(
      true,
    );
    await waitFor('the engine active again', async () => (await health()).activeNodes === 1, 20_000);
  });

  it('registers a new name even when the answer to its first try is lost: the retry gets the credential', async () => {
    // A loopback proxy in front of the cluster that lets the first registration through and then
    // drops the connection as the answer comes back: the cluster gave the name a credential the
    // engine never received (as a timeout under load does, or a crash before the file is saved).
    const lossyDir = await fs.mkdtemp(path.join(os.tmpdir(), 'canopy-node-lossy-'));
    let answersLost = 0;
    const proxy = net.createServer((down) => {
      const up = net.connect(clusterConfig.port!, '127.0.0.1');
      down.pipe(up);
      const drop = answersLost === 0;
      up.on('data', (chunk) => {
        if (drop) {
          answersLost++;
          down.destroy();
          up.destroy();
        } else {
          down.write(chunk);
        }
      });
      up.on('end', () => down.end());
      down.on('error', () => up.destroy());
      up.on('error', () => down.destroy());
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const proxyPort = (proxy.address() as net.AddressInfo).port;
    let lossy: NodeEngineHandle | undefined;
    const before = await health();
    try {
      lossy = await startNodeEngine(
        {
          ...engineConfig(JOIN_TOKEN),
          clusterUrl: `http://127.0.0.1:${proxyPort}`,
          nodeName: 'lossy-worker',
          dataDir: lossyDir,
        },
        log,
      );
      ids.add(lossy.nodeId);
      expect(answersLost).toBe(1);
      await waitFor('the new engine active too', async () => (await health()).activeNodes === before.activeNodes + 1);
      // One node for the name: the retry re-registered it under the same id, it did not add one.
      expect((await health()).nodes).toBe(before.nodes + 1);
      // The credential it saved is the one in force (the lost one was replaced), and the pending
      // attempt is gone with the registration done.
      const file = JSON.parse(
        await fs.readFile(path.join(lossyDir, 'node-credential.json'), 'utf8'),
      ) as SavedCredential;
      expect(file).toMatchObject({ nodeId: lossy.nodeId, nodeName: 'lossy-worker' });
      expect(await fs.readdir(lossyDir)).not.toContain('registration-attempt.json');
      const again = await fetch(`http://127.0.0.1:${clusterConfig.port}/api/node/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${file.credential}` },
        body: JSON.stringify({ name: 'lossy-worker', arch: 'amd64', cpuCores: 1, memoryMb: 256 }),
      });
      expect(again.status).toBe(200);
    } finally {
      await lossy?.stop();
      proxy.close();
      await fs.rm(lossyDir, { recursive: true, force: true });
    }
  });
});
