import { createWebService } from '../support/api';
import { startStack, type ClusterHandle, type Stack } from '../support/stack';
import { containersWithLabel, removeContainersWithLabel, waitFor } from '@canopy/testing';
import { containerStarts as startsWithLabel } from './fault-support';

/** Short enough for a test, long enough that the pause below ends well before it. */
const CLUSTER_LOST_MS = 30_000;

/**
 * Issue 9, deliverable 4, with real processes and real containers: a root, two clusters each with
 * its own node engine (on this machine's one Docker engine), a service with two replicas spread
 * across them. A cluster paused past CLUSTER_SUSPECT_MS (default 10 s) but not CLUSTER_LOST_MS
 * shows its instance DEAD, then comes back with the same container; a cluster killed for good
 * (with its node: a lost site) shows DEAD within seconds and its instance runs on the other
 * cluster after CLUSTER_LOST_MS.
 */
describe('cluster loss at the root (two clusters, kill -9 and SIGSTOP)', () => {
  jest.setTimeout(300_000);
  let stack: Stack;
  let siteB: ClusterHandle;
  let serviceId = '';
  const clusterIds: Record<string, string> = {};

  beforeAll(async () => {
    stack = await startStack('faults', { rootEnv: { CLUSTER_LOST_MS: String(CLUSTER_LOST_MS) } });
    siteB = await stack.addCluster('b');
    const clusters = (await stack.api.request('GET', '/api/clusters')).body as any[];
    for (const c of clusters) {
      clusterIds[c.cluster_name] = c.id;
    }
  });

  afterAll(async () => {
    for (const p of [siteB?.cluster, ...(siteB?.nodes ?? [])]) {
      if (p) {
        p.child.kill('SIGCONT');
      }
    }
    await stack?.stop();
    if (serviceId) {
      removeContainersWithLabel(`io.canopy.service-id=${serviceId}`);
    }
  });

  async function service(): Promise<any> {
    return (await stack.api.request('GET', `/api/service/${serviceId}`)).body;
  }

  /** id → start time of every running container of the service, as `docker inspect` shows them. */
  const containerStarts = (): Record<string, string> => startsWithLabel(`io.canopy.service-id=${serviceId}`);

  async function serves(port: number): Promise<boolean> {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/`);
      return res.ok && (await res.text()).trim() === 'canopy-ok';
    } catch {
      return false;
    }
  }

  it('spreads two replicas over the two clusters', async () => {
    ({ serviceId } = await createWebService(stack.api, 'faults', { port: '80', replicas: 2 }));
    const svc = await waitFor(
      'two RUNNING instances',
      async () => {
        const s = await service();
        return s.instance_list.filter((i: any) => i.status === 'RUNNING').length === 2 ? s : undefined;
      },
      120_000,
      300,
    );
    const where = svc.instance_list.map((i: any) => i.cluster_id).sort();
    expect(where).toEqual([clusterIds[stack.clusterName], clusterIds[siteB.clusterName]].sort());
    expect(containersWithLabel(`io.canopy.service-id=${serviceId}`)).toHaveLength(2);
  });

  it('a cluster paused past CLUSTER_SUSPECT_MS shows DEAD, then resumes with the same containers, nothing moved', async () => {
    const before = await service();
    const onB = before.instance_list.find((i: any) => i.cluster_id === clusterIds[siteB.clusterName]);
    const starts = containerStarts();
    expect(Object.keys(starts)).toHaveLength(2);

    const pausedAt = Date.now();
    siteB.cluster.child.kill('SIGSTOP');
    let shownAfterMs = 0;
    try {
      const dead = await waitFor(
        'the paused cluster’s instance shown DEAD',
        async () => {
          const i = (await service()).instance_list.find((x: any) => x.instance_number === onB.instance_number);
          return i?.status === 'DEAD' ? i : undefined;
        },
        CLUSTER_LOST_MS - 5_000,
        250,
      );
      shownAfterMs = Date.now() - pausedAt;
      expect(dead.status_detail).toContain(`cluster ${siteB.clusterName} stopped reporting`);
    } finally {
      siteB.cluster.child.kill('SIGCONT');
    }
    const pausedMs = Date.now() - pausedAt;
    process.stdout.write(`faults: paused cluster shown DEAD after ${shownAfterMs} ms, resumed after ${pausedMs} ms\n`);
    expect(pausedMs).toBeLessThan(CLUSTER_LOST_MS);

    const after = await waitFor(
      'both instances RUNNING again',
      async () => {
        const s = await service();
        return s.instance_list.filter((i: any) => i.status === 'RUNNING').length === 2 ? s : undefined;
      },
      60_000,
      300,
    );
    // Nothing moved: the same clusters, the same epochs of placement, the same containers.
    expect(after.instance_list.map((i: any) => [i.instance_number, i.cluster_id])).toEqual(
      before.instance_list.map((i: any) => [i.instance_number, i.cluster_id]),
    );
    expect(containerStarts()).toEqual(starts);
  });

  /** The container of the instance that ran on the killed cluster, left running by its killed node. */
  let orphan = '';

  it('a cluster killed with its node shows DEAD within seconds and its instance runs on the other cluster after CLUSTER_LOST_MS', async () => {
    const before = await service();
    const onB = before.instance_list.find((i: any) => i.cluster_id === clusterIds[siteB.clusterName]);
    orphan = onB.container_id;
    expect(orphan).toEqual(expect.any(String));
    const killedAt = Date.now();
    siteB.cluster.child.kill('SIGKILL');
    for (const n of siteB.nodes) {
      n.child.kill('SIGKILL');
    }

    const dead = await waitFor(
      'the lost cluster’s instance shown DEAD',
      async () => {
        const i = (await service()).instance_list.find((x: any) => x.instance_number === onB.instance_number);
        return i?.status === 'DEAD' ? i : undefined;
      },
      CLUSTER_LOST_MS - 5_000,
      250,
    );
    const shownMs = Date.now() - killedAt;
    expect(dead.status_detail).toContain(`cluster ${siteB.clusterName} stopped reporting`);
    expect(dead.cluster_id).toBe(clusterIds[siteB.clusterName]);

    const moved = await waitFor(
      'the instance RUNNING on the other cluster',
      async () => {
        const i = (await service()).instance_list.find((x: any) => x.instance_number === onB.instance_number);
        return i?.status === 'RUNNING' && i.cluster_id === clusterIds[stack.clusterName] ? i : undefined;
      },
      CLUSTER_LOST_MS + 90_000,
      300,
    );
    const movedMs = Date.now() - killedAt;
    process.stdout.write(
      `faults: killed cluster shown DEAD after ${shownMs} ms, instance RUNNING elsewhere after ${movedMs} ms (CLUSTER_LOST_MS ${CLUSTER_LOST_MS})\n`,
    );
    expect(movedMs).toBeGreaterThanOrEqual(CLUSTER_LOST_MS);
    expect(moved.status_history.map((h: any) => h.status)).toContain('DEAD');
    expect(await serves(moved.host_ports[0].host_port)).toBe(true);
    // Still two replicas, both on the surviving cluster; no instance UNDEPLOYED while desired.
    const svc = await service();
    expect(svc.instance_list).toHaveLength(2);
    expect(svc.instance_list.every((i: any) => i.status === 'RUNNING')).toBe(true);
  });

  it('the lost site coming back removes what moved: exactly one container per instance', async () => {
    // The killed node left its container running, as a site cut off from everything would.
    expect(Object.keys(containerStarts()).some((id) => id.startsWith(orphan))).toBe(true);
    await siteB.restart();
    const healed = await waitFor(
      'the old container gone, one container per instance',
      () => {
        const running = Object.keys(containerStarts());
        const all = containersWithLabel(`io.canopy.service-id=${serviceId}`);
        return all.length === 2 && running.length === 2 && !running.some((id) => id.startsWith(orphan))
          ? running
          : undefined;
      },
      90_000,
      500,
    );
    expect(healed).toHaveLength(2);
    const svc = await service();
    expect(svc.instance_list.map((i: any) => [i.status, i.cluster_id])).toEqual([
      ['RUNNING', clusterIds[stack.clusterName]],
      ['RUNNING', clusterIds[stack.clusterName]],
    ]);
  });
});
