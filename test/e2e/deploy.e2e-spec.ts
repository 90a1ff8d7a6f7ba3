import { busybox, RootApi, slaWith } from '../support/api';
import { startStack, type Stack } from '../support/stack';
import { containersWithLabel, freePort, waitFor } from '@canopy/testing';

/**
 * Issue 2's slice, end to end: root, cluster and node engine as separate processes, the real
 * Docker engine, a real container answering on its mapped host port.
 */
describe('deploy a descriptor end to end (separate processes)', () => {
  jest.setTimeout(180_000);

  let stack: Stack;
  let api: RootApi;

  beforeAll(async () => {
    stack = await startStack('deploy');
    api = stack.api;
  });

  afterAll(async () => {
    await stack.stop();
  });

  it('runs the container, serves on its mapped port, and removes it on undeploy', async () => {
    const hostPort = await freePort();
    const created = await api.request(
      'POST',
      '/api/application',
      slaWith([
        busybox({
          cmd: ['httpd', '-f', '-v', '-p', '80', '-h', '/www'],
          memory: 64,
          vcpus: 1,
          port: `${hostPort}:80`,
        }),
      ]),
    );
    expect(created.status).toBe(201);
    const serviceId: string = created.body.applications[0].microservices[0];

    const deployed = await api.request('POST', `/api/service/${serviceId}/instance`);
    expect(deployed.status).toBe(200);
    const n: number = deployed.body.instance_number;

    const running = await waitFor(
      'instance RUNNING at the root',
      async () => {
        const svc = await api.request('GET', `/api/service/${serviceId}`);
        const inst = svc.body.instance_list.find((i: any) => i.instance_number === n);
        if (inst && ['FAILED', 'DEAD', 'NO_WORKER_CAPACITY', 'NoActiveClusterWithCapacity'].includes(inst.status)) {
          throw new Error(`instance ended ${inst.status}: ${inst.status_detail}`);
        }
        return inst?.status === 'RUNNING' ? inst : undefined;
      },
      60_000,
    );
    expect(running.node_name).toBe(stack.nodeNames[0]);
    const seen = running.status_history.map((h: any) => h.status);
    expect(seen).toEqual(['REQUESTED', 'CLUSTER_SCHEDULED', 'NODE_SCHEDULED', 'CREATING', 'RUNNING']);
    expect(running.host_ports).toContainEqual({ container_port: 80, host_port: hostPort, protocol: 'tcp' });

    const page = await fetch(`http://127.0.0.1:${hostPort}/`);
    expect(page.status).toBe(200);
    expect((await page.text()).trim()).toBe('canopy-ok');
    expect(containersWithLabel(`io.canopy.service-id=${serviceId}`)).toHaveLength(1);

    // The container's log, fetched root → cluster → node: httpd -v logged the request above.
    const logs = await waitFor('the request in the instance log', async () => {
      const res = await api.request('GET', `/api/service/${serviceId}/instance/${n}/logs?tail=20`);
      expect(res.status).toBe(200);
      return res.body.lines.some((l: string) => l.includes('response:200')) ? res.body : undefined;
    });
    expect(logs.instance_number).toBe(n);
    const badTail = await api.request('GET', `/api/service/${serviceId}/instance/${n}/logs?tail=0`);
    expect(badTail.status).toBe(400);
    expect(badTail.body.errors[0].path).toBe('tail');

    const undeployed = await api.request('DELETE', `/api/service/${serviceId}/instance/${n}`);
    expect(undeployed.status).toBe(200);
    await waitFor(
      'container gone from docker ps -a',
      () => (containersWithLabel(`io.canopy.service-id=${serviceId}`).length === 0 ? true : undefined),
      30_000,
    );
    await waitFor('instance gone from the service', async () => {
      const svc = await api.request('GET', `/api/service/${serviceId}`);
      return svc.body.instance_list.some((i: any) => i.instance_number === n) ? undefined : true;
    });
    await expect(fetch(`http://127.0.0.1:${hostPort}/`)).rejects.toThrow();
  });

  it('rejects a malformed descriptor with a 4xx naming the field and changes nothing', async () => {
    const before = await api.request('GET', '/api/applications');
    const bad = slaWith(
      [
        {
          microservice_name: 'web.v2',
          microservice_namespace: 'test',
          virtualization: 'container',
          code: 'x',
          port: '80:',
        },
      ],
      'broken',
    );
    const res = await api.request('POST', '/api/application', bad);
    expect(res.status).toBe(400);
    const paths = res.body.errors.map((e: any) => e.path);
    expect(paths).toContain('applications[0].microservices[0].microservice_name');
    expect(paths).toContain('applications[0].microservices[0].port');
    const notJson = await api.request('POST', '/api/application', undefined, '{"sla_version": ');
    expect(notJson.status).toBe(400);
    expect(notJson.body).toMatchObject({ code: 'MALFORMED_JSON', errors: [{ path: '$' }] });
    const after = await api.request('GET', '/api/applications');
    expect(after.body).toEqual(before.body);
  });

  it('refuses requests without a valid token', async () => {
    const anonymous = new RootApi(api.baseUrl);
    expect((await anonymous.request('GET', '/api/applications')).status).toBe(401);
    anonymous.token = 'not-a-jwt';
    expect((await anonymous.request('GET', '/api/clusters')).status).toBe(401);
    const wrong = await anonymous.request('POST', '/api/auth/login', { username: 'Admin', password: 'Admin' });
    expect(wrong.status).toBe(401);
  });
});
