import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { loadRootConfig } from '../src/config/root-config';
import { startRoot, type RootHandle } from '../src/root.bootstrap';

const SCRAPE_TOKEN = 'metrics-scrape-token-0123456789';

describe('GET /metrics (real root over HTTP)', () => {
  let root: RootHandle;
  let dir: string;

  async function get(path: string, token?: string): Promise<{ status: number; text: string }> {
    const res = await fetch(`${root.url}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
    return { status: res.status, text: await res.text() };
  }

  async function post(path: string, token: string, body?: unknown): Promise<any> {
    const res = await fetch(`${root.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: body === undefined ? null : JSON.stringify(body),
    });
    return res.json();
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'canopy-metrics-'));
    root = await startRoot(
      loadRootConfig({
        ROOT_PORT: '0',
        ROOT_HOST: '127.0.0.1',
        ROOT_DATA_DIR: dir,
        CANOPY_ADMIN_PASSWORD: 'metrics-admin-pw',
        CANOPY_METRICS_TOKEN: SCRAPE_TOKEN,
      }),
      pino({ level: 'silent' }),
    );
  });

  afterAll(async () => {
    await root.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('needs the scrape token or an admin', async () => {
    expect((await get('/metrics')).status).toBe(401);
    expect((await get('/metrics', 'not-the-token-at-all-000')).status).toBe(401);
    const admin = (await post('/api/auth/login', '', { username: 'Admin', password: 'metrics-admin-pw' }))
      .token as string;
    await post('/api/users', admin, { username: 'carol', password: 'carol-password', role: 'Application_Provider' });
    const carol = (await post('/api/auth/login', '', { username: 'carol', password: 'carol-password' }))
      .token as string;
    expect((await get('/metrics', carol)).status).toBe(403);
    expect((await get('/metrics', admin)).status).toBe(200);
  });

  it('counts instances by status, services and clusters as the API shows them', async () => {
    const admin = (await post('/api/auth/login', '', { username: 'Admin', password: 'metrics-admin-pw' }))
      .token as string;
    const created = await post('/api/application', admin, {
      sla_version: 'v2.0',
      customerID: 'c',
      applications: [
        {
          applicationID: '',
          application_name: 'metered',
          application_namespace: 'ns',
          microservices: [
            { microservice_name: 'web', microservice_namespace: 'ns', virtualization: 'container', code: 'img' },
          ],
        },
      ],
    });
    const serviceId = created.applications[0].microservices[0] as string;
    // No cluster is connected, so the instance waits as NoActiveClusterWithCapacity.
    await post(`/api/service/${serviceId}/instance`, admin);
    const scrape = await get('/metrics', SCRAPE_TOKEN);
    expect(scrape.status).toBe(200);
    expect(scrape.text).toContain('canopy_instances{status="NoActiveClusterWithCapacity"} 1');
    expect(scrape.text).toContain('canopy_instances{status="RUNNING"} 0');
    expect(scrape.text).toContain('canopy_services{scheduled="true"} 1');
    expect(scrape.text).toContain('canopy_clusters{active="true"} 0');
    expect(scrape.text).toContain('canopy_root_process_resident_memory_bytes');
  });
});
