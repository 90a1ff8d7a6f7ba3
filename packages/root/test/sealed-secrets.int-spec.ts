import { readFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { io, type Socket } from 'socket.io-client';
import { stringify } from 'yaml';
import { buildInfrastructureElement } from '@canopy/schema';
import type { RootHandle } from '../src/root.bootstrap';
import { ONE_NODE_RESOURCES } from './support/fake-cluster';
import { bootRoot } from './support/http-root';

const CLUSTER_TOKEN = 'sealed-test-cluster-token-0123';
const PASSWORD = 'registry-pw-Zq81-never-in-clear';
const node = buildInfrastructureElement(
  { id: 'id-n1', name: 'n1', arch: 'amd64', cpuCores: 4, memoryMb: 4096, labels: {} },
  { active: true, info: { cpuCores: 4, cpuPercent: 10, memoryTotalMb: 4096, memoryFreeMb: 4096 } },
  { domain: 'edge-sealed' },
);
const resources = { ...ONE_NODE_RESOURCES, infrastructureElements: [node] };

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
  it("keeps an aerOS CR's registry password out of the database, kubectl's last-applied annotation included", async () => {
    root ??= await start();
    socket ??= await connectCluster(root.url);
    const secret = 'aeros-registry-pw-Kx3-never-stored';
    const registry = { url: 'registry.example.org', username: 'team', password: secret };
    const applied = {
      kind: 'ServiceComponentDocker',
      spec: { image: 'registry.example.org/t/w:1', imageRegistry: registry },
    };
    const cr = {
      apiVersion: 'llo.aeros-project.eu/v1alpha1',
      kind: 'ServiceComponentDocker',
      metadata: {
        name: 'sealed-component',
        labels: { 'app.kubernetes.io/part-of': 'Sealed' },
        annotations: { 'kubectl.kubernetes.io/last-applied-configuration': `${JSON.stringify(applied)}\n` },
      },
      spec: {
        selectedIE: { id: node.id, hostname: 'n1' },
        image: 'registry.example.org/t/w:1',
        imageRegistry: registry,
      },
    };
    const created = await fetch(`${root.url}/v1/service-components`, {
      method: 'POST',
      headers: { ...(await headers(root.url)), 'content-type': 'application/yaml' },
      body: stringify(cr),
    });
    expect(created.status).toBe(201);
    expect(storedBytes()).not.toContain(secret);
    const view = await fetch(`${root.url}/k8s/apis/llo.aeros-project.eu/v1alpha1/servicecomponentdockers`, {
      headers: await headers(root.url),
    });
    const text = await view.text();
    expect(view.status).toBe(200);
    expect(text).toContain('team');
    expect(text).not.toContain(secret);
  });
  it("keeps an HLO allocation's WireGuard private key out of the database and out of every read", async () => {
    root ??= await start();
    socket ??= await connectCluster(root.url);
    const key = 'wireguard-private-key-Pq7-never-stored';
    const sid = 'urn:ngsi-ld:Service:wg';
    const allocated = await fetch(`${root.url}/hlo_al/services/${encodeURIComponent(sid)}`, {
      method: 'POST',
      headers: await headers(root.url),
      body: JSON.stringify({
        service_component: {
          id: `${sid}:Component:a`,
          image: 'registry.example.org/t/wg:1',
          infrastructure_element: { id: node.id, hostname: 'n1' },
          orchestration_type: 'ServiceComponentDocker',
          exposePorts: false,
        },
        scomponent_network_conf: {
          Address: '10.8.0.2/32',
          PrivateKey: key,
          PublicKey: 'pub',
          AllowedIPs: '10.8.0.0/24',
        },
      }),
    });
    expect(allocated.status).toBe(201);
    expect(storedBytes()).not.toContain(key);
    const path = '/k8s/apis/llo.aeros-project.eu/v1alpha1/namespaces/default/servicecomponentdockers';
    const view = await fetch(`${root.url}${path}`, { headers: await headers(root.url) });
    const text = await view.text();
    expect(view.status).toBe(200);
    expect(text).toContain('10.8.0.2/32');
    expect(text).not.toContain(key);
  });
});
