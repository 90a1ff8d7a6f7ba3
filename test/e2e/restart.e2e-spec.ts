import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RootApi, slaWith } from '../support/api';
import { ensureTestImage, removeContainersWithLabel } from '../support/docker';
import { freePort } from '../support/ports';
import { startTier, stopTier, waitFor, type TierProcess } from '../support/processes';

/** `io.canopy.instance` label of every container (running or not) of one service, via the docker CLI. */
function containerInstances(serviceId: string): string[] {
  const out = execFileSync(
    'docker',
    ['ps', '-a', '--filter', `label=io.canopy.service-id=${serviceId}`, '--format', '{{.Label "io.canopy.instance"}}'],
    { encoding: 'utf8' },
  );
  return out
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '')
    .sort();
}

const FAILED = ['FAILED', 'DEAD', 'NO_WORKER_CAPACITY', 'NoActiveClusterWithCapacity', 'TargetClusterNoCapacity'];

/**
 * Restart safety (issue 3): `kill -9` the root in the middle of work, start it again on the same
 * data directory and port, and nothing is lost or doubled: applications, services and instances
 * are all there, the cluster reconnects, every instance is RUNNING, one container per instance.
 */
describe('root killed with SIGKILL mid-work and restarted', () => {
  jest.setTimeout(240_000);

  const adminPassword = 'e2e-admin-password';
  const clusterToken = 'e2e-cluster-token-0123456789';
  const nodeToken = 'e2e-node-token-0123456789';
  const work = mkdtempSync(join(tmpdir(), 'canopy-restart-'));
  const tiers: TierProcess[] = [];
  let rootPort = 0;
  let root: TierProcess;
  let api: RootApi;
  let serviceId = '';

  function startRootTier(name: string): TierProcess {
    const t = startTier(
      'root',
      name,
      {
        ROOT_PORT: String(rootPort),
        ROOT_DATA_DIR: join(work, 'root'),
        CANOPY_ADMIN_PASSWORD: adminPassword,
        CANOPY_CLUSTER_TOKEN: clusterToken,
      },
      work,
    );
    tiers.push(t);
    return t;
  }

  async function activeCluster(): Promise<{ cluster_name: string; active: boolean } | undefined> {
    const res = await api.request('GET', '/api/clusters/active');
    const c = Array.isArray(res.body) ? res.body.find((x: any) => x.cluster_name === 'restart-cluster') : undefined;
    return c?.resources?.activeNodes >= 1 ? c : undefined;
  }

  async function instances(): Promise<any[]> {
    const svc = await api.request('GET', `/api/service/${serviceId}`);
    if (svc.status !== 200) throw new Error(`service: ${svc.status} ${JSON.stringify(svc.body)}`);
    return svc.body.instance_list;
  }

  async function allRunning(count?: number): Promise<any[] | undefined> {
    const list = await instances();
    const bad = list.find((i) => FAILED.includes(i.status));
    if (bad) throw new Error(`instance ${bad.instance_number} ended ${bad.status}: ${bad.status_detail}`);
    if (count !== undefined && list.length !== count) return undefined;
    return list.length > 0 && list.every((i) => i.status === 'RUNNING') ? list : undefined;
  }

  beforeAll(async () => {
    ensureTestImage();
    const [clusterPort, mqttPort] = [await freePort(), await freePort()];
    rootPort = await freePort();
    root = startRootTier('root-1');
    api = new RootApi(`http://127.0.0.1:${rootPort}`);
    await waitFor('root health', async () => ((await api.request('GET', '/health')).status === 200 ? true : undefined));
    tiers.push(
      startTier(
        'cluster',
        'cluster',
        {
          ROOT_URL: api.baseUrl,
          CLUSTER_TOKEN: clusterToken,
          CLUSTER_NAME: 'restart-cluster',
          CLUSTER_PORT: String(clusterPort),
          MQTT_PORT: String(mqttPort),
          NODE_TOKEN: nodeToken,
          CLUSTER_DATA_DIR: join(work, 'cluster'),
          SYNC_INTERVAL_MS: '2000',
        },
        work,
      ),
    );
    tiers.push(
      startTier(
        'node-engine',
        'node',
        {
          CLUSTER_URL: `http://127.0.0.1:${clusterPort}`,
          NODE_TOKEN: nodeToken,
          NODE_NAME: `restart-node-${process.pid}`,
          NODE_DATA_DIR: join(work, 'node'),
          REPORT_INTERVAL_MS: '500',
        },
        work,
      ),
    );
    await api.login('Admin', adminPassword);
    await waitFor('an active cluster with a live node', activeCluster);
  });

  afterAll(async () => {
    for (const t of [...tiers].reverse()) await stopTier(t);
    if (serviceId) removeContainersWithLabel(`io.canopy.service-id=${serviceId}`);
    rmSync(work, { recursive: true, force: true });
  });

  it('loses nothing, reconnects the cluster and duplicates no container', async () => {
    const created = await api.request(
      'POST',
      '/api/application',
      slaWith(
        [
          {
            microserviceID: '',
            microservice_name: 'web',
            microservice_namespace: 'test',
            virtualization: 'container',
            code: 'canopy-test/busybox:latest',
            cmd: ['httpd', '-f', '-p', '80', '-h', '/www'],
            memory: 16,
            vcpus: 0,
          },
        ],
        'restart',
      ),
    );
    expect(created.status).toBe(201);
    const appId: string = created.body.applications[0].applicationID;
    serviceId = created.body.applications[0].microservices[0];

    for (let k = 0; k < 2; k++) {
      const deployed = await api.request('POST', `/api/service/${serviceId}/instance`);
      expect(deployed.status).toBe(200);
    }
    await waitFor('two instances RUNNING', () => allRunning(2), 90_000);
    const beforeApps = (await api.request('GET', '/api/applications')).body;
    const beforeService = (await api.request('GET', `/api/service/${serviceId}`)).body;

    // A third deploy, and the root dies while handling it: no graceful shutdown, no flush.
    const third = api.request('POST', `/api/service/${serviceId}/instance`).catch((e: Error) => e);
    await new Promise((r) => setTimeout(r, Number(process.env.RESTART_KILL_DELAY_MS ?? 15)));
    root.child.kill('SIGKILL');
    await root.exited;
    await third;

    root = startRootTier('root-2');
    await waitFor('restarted root health', async () =>
      (await api.request('GET', '/health')).status === 200 ? true : undefined,
    );
    await api.login('Admin', adminPassword);

    // Everything from before the kill is still there.
    const apps = (await api.request('GET', '/api/applications')).body;
    expect(apps.map((a: any) => a.applicationID)).toEqual(beforeApps.map((a: any) => a.applicationID));
    expect((await api.request('GET', `/api/application/${appId}`)).body.microservices).toEqual([serviceId]);
    const afterService = (await api.request('GET', `/api/service/${serviceId}`)).body;
    const numbersBefore = beforeService.instance_list.map((i: any) => i.instance_number);
    const numbersAfter = afterService.instance_list.map((i: any) => i.instance_number);
    expect(numbersAfter).toEqual(expect.arrayContaining(numbersBefore));
    // The interrupted third deploy either happened entirely or not at all.
    process.stderr.write(
      `restart: instances before the kill ${JSON.stringify(numbersBefore)}, after the restart ${JSON.stringify(numbersAfter)}\n`,
    );
    expect(numbersAfter.length).toBeGreaterThanOrEqual(2);
    expect(numbersAfter.length).toBeLessThanOrEqual(3);

    // The cluster dials the restarted root again, and the system converges.
    await waitFor('the cluster reconnected', activeCluster, 60_000);
    const converged = await waitFor(
      'all instances RUNNING after the restart',
      async () => {
        const svc = (await api.request('GET', `/api/service/${serviceId}`)).body;
        const list = await allRunning(svc.replicas);
        return list && list.length === svc.replicas ? { list, replicas: svc.replicas as number } : undefined;
      },
      90_000,
    );
    expect(converged.replicas).toBe(numbersAfter.length);
    expect(converged.list.map((i: any) => i.instance_number)).toEqual(expect.arrayContaining(numbersBefore));

    // Exactly one container per instance, none left over from before the kill; it stays that way
    // across a few more sync rounds (2 s) of cluster ↔ root and node ↔ cluster.
    const expected = converged.list.map((i: any) => String(i.instance_number)).sort();
    for (let round = 0; round < 3; round++) {
      expect(containerInstances(serviceId)).toEqual(expected);
      await new Promise((r) => setTimeout(r, 2500));
    }
    const final = (await api.request('GET', `/api/service/${serviceId}`)).body;
    expect(final.instance_list.every((i: any) => i.status === 'RUNNING')).toBe(true);
    expect(final.instance_list).toHaveLength(expected.length);
  });
});
