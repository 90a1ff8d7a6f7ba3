import { startControlPlane, startFleet, health, type ControlPlane, type Fleet } from '../../bench/lib/hollow-fleet';
import { busybox, RootApi, slaWith } from '../support/api';
import { waitFor } from '@canopy/testing';

/**
 * Issue 14: the hollow-node harness of bench/hollow-nodes.js at small N, against a real root and
 * cluster manager (built dist, separate processes). Hollow nodes register and speak MQTT as the
 * node engine does; the cluster must take every one as active, keep answering `/health`, and place
 * a replicated service on them (the hollow nodes answer deploy commands with RUNNING).
 */
describe('hollow nodes against a real cluster (root + cluster processes, 50 simulated nodes)', () => {
  jest.setTimeout(180_000);
  const NODES = 50;
  let plane: ControlPlane;
  let fleet: Fleet;
  let api: RootApi;

  beforeAll(async () => {
    plane = await startControlPlane();
    fleet = startFleet(plane, {
      nodes: NODES,
      workers: 2,
      intervalMs: 1000,
      instances: 3,
      prefix: `e2e-hollow-${process.pid}`,
    });
    api = new RootApi(plane.rootUrl);
    await waitFor('root login', async () => {
      await api.login('Admin', plane.adminPassword);
      return true;
    });
  });

  afterAll(async () => {
    await fleet?.stop();
    await plane?.stop();
  });

  it('registers all of them, takes every one as active and keeps answering /health', async () => {
    await waitFor(
      `${NODES} active hollow nodes`,
      async () => {
        expect(fleet.errors).toEqual([]);
        const h = await health(plane);
        return h.body.activeNodes === NODES ? h : undefined;
      },
      90_000,
    );
    const stats = await fleet.stats();
    expect(stats.registered).toBe(NODES);
    expect(stats.refused).toBe(0);
    const h = await health(plane);
    expect(h.status).toBe(200);
    expect(h.body).toMatchObject({ status: 'ok', nodes: NODES, activeNodes: NODES });
    // The root sees the cluster with all of them.
    await waitFor('the root to count every hollow node', async () => {
      const res = await api.request('GET', '/api/clusters/active');
      const c = Array.isArray(res.body) ? res.body.find((x: any) => x.cluster_name === 'hollow') : undefined;
      return c?.resources?.activeNodes === NODES ? true : undefined;
    });
  });

  it('places a replicated service on the hollow nodes, which report it RUNNING', async () => {
    const created = await api.request(
      'POST',
      '/api/application',
      slaWith(
        [
          busybox({
            cmd: ['sleep', '3600'],
            memory: 16,
            replicas: 12,
          }),
        ],
        'hollow',
      ),
    );
    expect(created.status).toBe(201);
    const serviceId: string = created.body.applications[0].microservices[0];
    const svc = await waitFor(
      '12 RUNNING instances on hollow nodes',
      async () => {
        const s = (await api.request('GET', `/api/service/${serviceId}`)).body;
        const running = (s.instance_list ?? []).filter((i: any) => i.status === 'RUNNING');
        return running.length === 12 ? s : undefined;
      },
      60_000,
    );
    // Every instance sits on a hollow node, which named itself in its `job` report; best-fit
    // spreads nothing here, so only the naming is asserted, not the spread.
    for (const i of svc.instance_list) {
      expect(String(i.node_name)).toMatch(new RegExp(`^e2e-hollow-${process.pid}-\\d{6}$`));
    }
    expect((await fleet.stats()).commands).toBeGreaterThanOrEqual(12);
    expect((await health(plane)).body.activeNodes).toBe(NODES);
  });
});
