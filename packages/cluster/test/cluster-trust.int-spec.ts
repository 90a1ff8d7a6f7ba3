import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { LOG_REDACTION } from '@canopy/schema';
import pino from 'pino';
import { startCluster, type ClusterHandle } from '../src';
import type { NodeRegisterResponse } from '@canopy/schema';
import { NodeClient, register } from './support/node-client';
import { RootPeer, spec } from './support/root-peer';
import { freePort, postMalformedEncodings, waitFor } from '@canopy/testing';

const CLUSTER_TOKEN = 'cluster-secret-token';
const METRICS_TOKEN = 'metrics-token-0123456789';

/** Issue 10's findings at the cluster's HTTP edge and on its disk. */
describe('cluster edges, logs and files', () => {
  let dataDir: string;
  let root: RootPeer;
  let cluster: ClusterHandle;
  const lines: string[] = [];

  beforeAll(async () => {
    dataDir = join(mkdtempSync(join(tmpdir(), 'canopy-cluster-trust-')), 'data');
    root = new RootPeer(await freePort(), CLUSTER_TOKEN);
    await root.start();
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString('utf8'));
        done();
      },
    });
    // The redaction the entry point installs (main.ts), on a logger the test can read.
    const logger = pino({ level: 'info', redact: LOG_REDACTION }, sink);
    cluster = await startCluster(
      {
        rootUrl: `http://127.0.0.1:${root.port}`,
        clusterToken: CLUSTER_TOKEN,
        clusterName: 'trust-cluster',
        port: 0,
        host: '127.0.0.1',
        mqttPort: 0,
        metricsToken: METRICS_TOKEN,
        dataDir,
        nodeLivenessMs: 1500,
        syncIntervalMs: 1000,
      },
      logger,
    );
    await waitFor('the cluster to reach the root', () => root.syncs.length > 0);
  });

  afterAll(async () => {
    await cluster?.stop();
    await root?.stop();
    rmSync(join(dataDir, '..'), { recursive: true, force: true });
  });

  it('answers a gzip body that is not gzip with 400, before any token check', async () => {
    const res = await fetch(`http://127.0.0.1:${cluster.port}/api/node/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
      body: 'not gzip at all',
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ statusCode: 400, code: 'BAD_REQUEST', message: expect.any(String), errors: [] });
  });

  it('answers every lying or unknown content-encoding with its 4xx, before any token check', async () => {
    for (const r of await postMalformedEncodings(`http://127.0.0.1:${cluster.port}/api/node/register`)) {
      expect([r.name, r.status]).toEqual([r.name, r.expected]);
    }
  });

  it("sends helmet's security headers", async () => {
    const res = await fetch(`http://127.0.0.1:${cluster.port}/health`);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('content-security-policy')).toContain("default-src 'self'");
  });

  it('answers a metrics token with non-ASCII bytes with 401, not 500', async () => {
    const res = await fetch(`http://127.0.0.1:${cluster.port}/metrics`, {
      headers: { authorization: `Bearer ${'é'.repeat(METRICS_TOKEN.length)}` },
    });
    expect(res.status).toBe(401);
    const ok = await fetch(`http://127.0.0.1:${cluster.port}/metrics`, {
      headers: { authorization: `Bearer ${METRICS_TOKEN}` },
    });
    expect(ok.status).toBe(200);
  });

  it('never logs the join token: not when generated, not in request logs', async () => {
    const res = await register(cluster.port, cluster.nodeToken, {
      name: 'n1',
      arch: 'amd64',
      cpuCores: 1,
      memoryMb: 512,
    });
    expect(res.status).toBe(200);
    const password = (res.json.mqtt as { password: string }).password;
    await waitFor('the request log', () => lines.some((l) => l.includes('/api/node/register')));
    const all = lines.join('');
    expect(all).not.toContain(cluster.nodeToken);
    expect(all).not.toContain(password);
    expect(all).toContain('"authorization":"[redacted]"');
  });

  it('keeps registry passwords sealed in its database, and sends them to the node that runs the instance', async () => {
    const password = 'cluster-registry-pw-9Xq-never-in-clear';
    const reg = (
      await register(cluster.port, cluster.nodeToken, { name: 'n-sealed', arch: 'amd64', cpuCores: 2, memoryMb: 2048 })
    ).json as unknown as NodeRegisterResponse;
    const node = await NodeClient.connect(cluster.mqttPort, reg);
    try {
      await node.subscribeControl();
      await node.heartbeat();
      await waitFor('the node active', () => node.on('control/sync')[0]);
      node.startHeartbeats(300);
      const withAuth = spec('svc-private', {
        registryAuth: { username: 'team', password, serveraddress: 'registry.example.org' },
        constraints: [{ type: 'direct', node: 'n-sealed' }],
      });
      expect(await root.deploy(withAuth)).toEqual({ ok: true });
      const deploy = await waitFor('control/deploy on the node', () => node.on('control/deploy')[0]);
      expect(deploy.body).toMatchObject({ registryAuth: { password } });
      const stored = ['cluster.db', 'cluster.db-wal']
        .map((f) => join(dataDir, f))
        .filter((f) => existsSync(f))
        .map((f) => readFileSync(f).toString('latin1'))
        .join('');
      expect(stored).toContain('enc:v1:');
      expect(stored).not.toContain(password);
    } finally {
      await node.close();
    }
  });

  it('keeps its data directory 0700 and its SQLite files (WAL included) 0600', () => {
    expect(statSync(dataDir).mode & 0o777).toBe(0o700);
    for (const f of ['cluster.db', 'cluster.db-wal', 'node-token', 'store-key']) {
      expect([f, statSync(join(dataDir, f)).mode & 0o777]).toEqual([f, 0o600]);
    }
  });
});
