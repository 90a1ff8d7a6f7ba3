import { readFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { io, type Socket } from 'socket.io-client';
import type { RootHandle } from '../src/root.bootstrap';
import { ONE_NODE_RESOURCES } from './support/fake-cluster';
import { bootRoot } from './support/http-root';

const CLUSTER_TOKEN = 'sealed-test-cluster-token-0123';
const PASSWORD = 'registry-pw-Zq81-never-in-clear';
const resources = ONE_NODE_RESOURCES;

/** Issue 10: registry passwords are encrypted at rest in the root's store, and still reach the cluster. */
describe('registry passwords sealed at rest (real root, SQLite, Socket.IO)', () => {
  jest.setTimeout(60_000);
  let dir: string;
  let root: RootHandle | undefined;
  let socket: Socket | undefined;
  const deploys: { serviceId: string; registryAuth?: { username: string; password: string } }[] = [];

  const start = async (): Promise<RootHandle> =>
    bootRoot(dir, {
      CANOPY_ADMIN_PASSWORD: 'sealed-admin-pw',
      CANOPY_CLUSTER_TOKEN: CLUSTER_TOKEN,
      CANOPY_ALLOW_SHARED_CLUSTER_TOKEN: 'true',
    });
  const connectCluster = async (url: string): Promise<Socket> => {
    const s = io(`${url}/clusters`, {
      auth: { token: CLUSTER_TOKEN, name: 'edge-sealed' },
      reconnection: false,
      transports: ['websocket'],
    });
    s.on('instance:deploy', (spec: (typeof deploys)[number], ack: (r: unknown) => void) => {
      deploys.push(spec);
      ack({ ok: true });
    });
    await new Promise<void>((resolve, reject) => {
      s.once('connect', () => resolve());
      s.once('connect_error', reject);
    });
    await s.timeout(5000).emitWithAck('cluster:sync', { resources, instances: [] });
    return s;
  };
  const headers = async (url: string): Promise<Record<string, string>> => {
    const login = await fetch(`${url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'Admin', password: 'sealed-admin-pw' }),
    });
    return {
      'content-type': 'application/json',
      authorization: `Bearer ${((await login.json()) as { token: string }).token}`,
    };
  };
  const storedBytes = (): string =>
    ['root.db', 'root.db-wal']
      .map((f) => join(dir, f))
      .filter((f) => existsSync(f))
      .map((f) => readFileSync(f).toString('latin1'))
      .join('');

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'canopy-sealed-'));
  });

  afterAll(async () => {
    socket?.close();
    await root?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps the password out of the database file, sends it to the cluster, and reads it back after a restart', async () => {
    root = await start();
    socket = await connectCluster(root.url);
    const created = await fetch(`${root.url}/api/application`, {
      method: 'POST',
      headers: await headers(root.url),
      body: JSON.stringify({
        sla_version: 'v2.0',
        customerID: 'c',
        applications: [
          {
            applicationID: '',
            application_name: 'sealed',
            application_namespace: 'ns',
            microservices: [
              {
                microservice_name: 'web',
                microservice_namespace: 'ns',
                virtualization: 'container',
                code: 'registry.example.org/team/web:1',
                image_registry: { url: 'registry.example.org', username: 'team', password: PASSWORD },
              },
            ],
          },
        ],
      }),
    });
    const serviceId = ((await created.json()) as any).applications[0].microservices[0] as string;
    const first = await fetch(`${root.url}/api/service/${serviceId}/instance`, {
      method: 'POST',
      headers: await headers(root.url),
    });
    expect(first.status).toBe(200);
    expect(deploys.find((d) => d.serviceId === serviceId)?.registryAuth).toMatchObject({ password: PASSWORD });
    expect(storedBytes()).not.toContain(PASSWORD);
    expect(storedBytes()).toContain('enc:v1:');

    // The key outlives a restart (kept in secrets.json), so the sealed record still opens.
    socket.close();
    await root.stop();
    root = await start();
    socket = await connectCluster(root.url);
    deploys.length = 0;
    const second = await fetch(`${root.url}/api/service/${serviceId}/instance`, {
      method: 'POST',
      headers: await headers(root.url),
    });
    expect(second.status).toBe(200);
    expect(deploys.find((d) => d.serviceId === serviceId)?.registryAuth).toMatchObject({ password: PASSWORD });
    const view = await (
      await fetch(`${root.url}/api/service/${serviceId}`, { headers: await headers(root.url) })
    ).text();
    expect(view).not.toContain(PASSWORD);
    expect(view).not.toContain('enc:v1:');
  });
});
