import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createWebService, type RootApi } from '../support/api';
import { startStack, type Stack } from '../support/stack';
import { waitFor } from '@canopy/testing';

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

  let stack: Stack;
  let api: RootApi;
  let serviceId = '';
  const holdDir = mkdtempSync(join(tmpdir(), 'canopy-restart-hold-'));

  async function instances(): Promise<any[]> {
    const svc = await api.request('GET', `/api/service/${serviceId}`);
    if (svc.status !== 200) {
      throw new Error(`service: ${svc.status} ${JSON.stringify(svc.body)}`);
    }
    return svc.body.instance_list;
  }

  async function allRunning(count?: number): Promise<any[] | undefined> {
    const list = await instances();
    const bad = list.find((i) => FAILED.includes(i.status));
    if (bad) {
      throw new Error(`instance ${bad.instance_number} ended ${bad.status}: ${bad.status_detail}`);
    }
    if (count !== undefined && list.length !== count) {
      return undefined;
    }
    return list.length > 0 && list.every((i) => i.status === 'RUNNING') ? list : undefined;
  }

  beforeAll(async () => {
    // The root's own reconciler stays slow here, so convergence after the restart is the cluster
    // sync's doing and not a side effect of the replica timer.
    stack = await startStack('restart', {
      rootEnv: { RECONCILE_INTERVAL_MS: '5000', CANOPY_TEST_HOLD_DEPLOY_DIR: holdDir },
    });
    api = stack.api;
  });

  afterAll(async () => {
    await stack.stop();
    rmSync(holdDir, { recursive: true, force: true });
  });

  it('loses nothing, reconnects the cluster and duplicates no container', async () => {
    let appId: string;
    ({ appId, serviceId } = await createWebService(api, 'restart', { vcpus: 0 }));

    for (let k = 0; k < 2; k++) {
      const deployed = await api.request('POST', `/api/service/${serviceId}/instance`);
      expect(deployed.status).toBe(200);
    }
    await waitFor('two instances RUNNING', () => allRunning(2), 90_000);
    const beforeApps = (await api.request('GET', '/api/applications')).body;
    const beforeService = (await api.request('GET', `/api/service/${serviceId}`)).body;

    // A third deploy, and the root dies while handling it: no graceful shutdown, no flush. The
    // test-only hold (packages/root/src/testing/test-hooks.ts) stops the deploy before its first
    // write, and the kill comes exactly then: the branch is chosen, not left to timing.
    writeFileSync(join(holdDir, 'arm'), '');
    const third = api.request('POST', `/api/service/${serviceId}/instance`).catch((e: Error) => e);
    await waitFor('the third deploy held before its commit', () =>
      Promise.resolve(existsSync(join(holdDir, 'held')) ? true : undefined),
    );
    stack.root.child.kill('SIGKILL');
    await stack.root.exited;
    await third;
    rmSync(join(holdDir, 'arm'));

    await stack.restartRoot('root-2');
    await api.login('Admin', stack.adminPassword);

    // Everything from before the kill is still there.
    const apps = (await api.request('GET', '/api/applications')).body;
    expect(apps.map((a: any) => a.applicationID)).toEqual(beforeApps.map((a: any) => a.applicationID));
    expect((await api.request('GET', `/api/application/${appId}`)).body.microservices).toEqual([serviceId]);
    const afterService = (await api.request('GET', `/api/service/${serviceId}`)).body;
    const numbersBefore = beforeService.instance_list.map((i: any) => i.instance_number);
    const numbersAfter = afterService.instance_list.map((i: any) => i.instance_number);
    expect(numbersAfter).toEqual(expect.arrayContaining(numbersBefore));
    // The interrupted third deploy was killed before it wrote anything: it happened not at all
    // (no half-made instance, no raised replica count for the reconciler to act on).
    expect([...numbersAfter].sort()).toEqual([...numbersBefore].sort());

    // The cluster dials the restarted root again, and the system converges.
    await stack.clusterReady();
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
