import { execFileSync } from 'node:child_process';
import { busybox, HTTPD, slaWith } from '../support/api';
import { startStack, type Stack } from '../support/stack';
import { containersWithLabel, waitFor } from '@canopy/testing';

/** Issue 3: `replicas` kept true by the system, and rolling updates, with real containers. */
describe('replicas and rolling updates (separate processes, real containers)', () => {
  jest.setTimeout(240_000);
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack('replicas');
  });

  afterAll(async () => {
    await stack.stop();
  });

  const web = (extra: Record<string, unknown> = {}) => busybox({ cmd: HTTPD, memory: 32, port: '80', ...extra });

  /** Running containers of the service as `docker ps` shows them, and the instances the root lists. */
  async function settle(serviceId: string, expected: number, generation?: number): Promise<any> {
    return waitFor(
      `${expected} running instances`,
      async () => {
        const svc = (await stack.api.request('GET', `/api/service/${serviceId}`)).body;
        const running = svc.instance_list.filter(
          (i: any) => i.status === 'RUNNING' && (generation === undefined || i.generation === generation),
        );
        const containers = containersWithLabel(`io.canopy.service-id=${serviceId}`);
        return running.length === expected && svc.instance_list.length === expected && containers.length === expected
          ? svc
          : undefined;
      },
      90_000,
      300,
    );
  }

  it('scales 1 → 3 → 1 by editing replicas, with exactly that many containers each time', async () => {
    const created = await stack.api.request('POST', '/api/application', slaWith([web({ replicas: 1 })], 'scale'));
    expect(created.status).toBe(201);
    const serviceId: string = created.body.applications[0].microservices[0];
    let svc = await settle(serviceId, 1);
    expect(svc.replicas).toBe(1);

    const up = await stack.api.request('PUT', `/api/service/${serviceId}`, web({ replicas: 3 }));
    expect(up.status).toBe(200);
    expect(up.body.generation).toBe(1);
    svc = await settle(serviceId, 3);
    for (const inst of svc.instance_list) {
      const port = inst.host_ports[0].host_port;
      expect((await (await fetch(`http://127.0.0.1:${port}/`)).text()).trim()).toBe('canopy-ok');
    }

    const down = await stack.api.request('PUT', `/api/service/${serviceId}`, web({ replicas: 1 }));
    expect(down.status).toBe(200);
    svc = await settle(serviceId, 1);
    expect(svc.instance_list[0].instance_number).toBe(0);
  });

  it('rolls a new spec over one instance at a time, the new one RUNNING before an old one goes', async () => {
    const created = await stack.api.request('POST', '/api/application', slaWith([web({ replicas: 2 })], 'roll'));
    const serviceId: string = created.body.applications[0].microservices[0];
    const before = await settle(serviceId, 2);
    const version: number = before.version;

    const stale = await stack.api.request(
      'PUT',
      `/api/service/${serviceId}`,
      web({ replicas: 2, environment: ['MODE=new'], version: version - 1 }),
    );
    expect(stale.status).toBe(409);

    const updated = await stack.api.request(
      'PUT',
      `/api/service/${serviceId}`,
      web({ replicas: 2, environment: ['MODE=new'], version }),
    );
    expect(updated.status).toBe(200);
    expect(updated.body.generation).toBe(2);

    // Sample while the rollout runs: the number of RUNNING instances never drops below 2.
    let minRunning = Infinity;
    const after = await waitFor(
      'rollout to generation 2',
      async () => {
        const svc = (await stack.api.request('GET', `/api/service/${serviceId}`)).body;
        const running = svc.instance_list.filter((i: any) => i.status === 'RUNNING');
        minRunning = Math.min(minRunning, running.length);
        const done =
          svc.instance_list.length === 2 && running.length === 2 && running.every((i: any) => i.generation === 2);
        return done ? svc : undefined;
      },
      120_000,
      100,
    );
    expect(minRunning).toBeGreaterThanOrEqual(2);
    expect(after.instance_list.map((i: any) => i.instance_number).sort()).toEqual([2, 3]);
    await waitFor(
      'old containers removed',
      () => (containersWithLabel(`io.canopy.service-id=${serviceId}`).length === 2 ? true : undefined),
      30_000,
    );
    for (const id of containersWithLabel(`io.canopy.service-id=${serviceId}`)) {
      const env = execFileSync('docker', ['inspect', '--format', '{{json .Config.Env}}', id], { encoding: 'utf8' });
      expect(JSON.parse(env)).toContain('MODE=new');
    }
  });
});
