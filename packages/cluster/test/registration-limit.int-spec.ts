import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { startCluster, type ClusterHandle } from '../src';
import { register } from './support/node-client';
import { RootPeer } from './support/root-peer';
import { freePort } from '@canopy/testing';

jest.setTimeout(20_000);

/** Guessing the node join token is slowed down: registrations are limited per client address. */
describe('node registration rate limit (real HTTP)', () => {
  let dataDir: string;
  let root: RootPeer;
  let cluster: ClusterHandle;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'canopy-register-limit-'));
    root = new RootPeer(await freePort(), 'cluster-secret-token');
    await root.start();
    cluster = await startCluster(
      {
        rootUrl: `http://127.0.0.1:${root.port}`,
        clusterToken: 'cluster-secret-token',
        clusterName: 'limited',
        port: 0,
        host: '127.0.0.1',
        mqttPort: 0,
        dataDir,
        nodeLivenessMs: 10_000,
        syncIntervalMs: 10_000,
        registerRateLimit: 3,
      },
      pino({ level: 'silent' }),
    );
  });

  afterAll(async () => {
    await cluster?.stop();
    await root?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('answers 429 once an address has used up its attempts, whatever the token', async () => {
    const body = { name: 'guesser', arch: 'amd64', cpuCores: 1, memoryMb: 512 };
    for (let i = 0; i < 3; i++) {
      expect((await register(cluster.port, `guess-${i}-xxxxxxxx`, body)).status).toBe(401);
    }
    const limited = await register(cluster.port, cluster.nodeToken, body);
    expect(limited.status).toBe(429);
    expect(limited.json).toEqual(expect.objectContaining({ statusCode: 429, errors: [] }));
  });
});
