import { execFileSync } from 'node:child_process';
import { call, dockerCr } from '../support/aeros';
import { busybox, slaWith } from '../support/api';
import { startStack, type Stack } from '../support/stack';
import { freePort, waitFor } from '@canopy/testing';

interface Limits {
  PidsLimit: number;
  Memory: number;
  NanoCpus: number;
  Privileged: boolean;
}

/** `docker inspect` of the one running container of a Canopy service: the limits Docker enforces. */
function hostConfigOf(serviceId: string): Limits | undefined {
  const ids = execFileSync('docker', ['ps', '-q', '--filter', `label=io.canopy.service-id=${serviceId}`], {
    encoding: 'utf8',
  })
    .split('\n')
    .filter((l) => l.trim() !== '');
  if (ids.length !== 1) {
    return undefined;
  }
  const [info] = JSON.parse(execFileSync('docker', ['inspect', ids[0] as string], { encoding: 'utf8' })) as {
    HostConfig: Limits;
  }[];
  return info?.HostConfig;
}

/** What a node gives a container whose descriptor names no memory or CPU (NODE_DEFAULT_*, NODE_PIDS_LIMIT). */
const DEFAULTS = { PidsLimit: 512, Memory: 512 * 1024 * 1024, NanoCpus: 1e9, Privileged: false };

/**
 * Issue 10, containers, through every dialect that makes one (tiers as processes, real Docker): an
 * Oakestra SLA with `memory: 0, vcpus: 0`, an aerOS CR on the LLO API and the same CR on the k8s
 * route each run with a memory, CPU and PID limit; privileged asks are refused by the node and say
 * so; host ports below 1024 are a 4xx at the root in each dialect.
 */
describe('containers a user can make the node run (SLA, aerOS LLO, k8s route)', () => {
  jest.setTimeout(240_000);
  let stack: Stack;
  let selectedIE = '';
  const nodeName = `trust-ct-${process.pid}`;

  beforeAll(async () => {
    stack = await startStack('trust-ct', { nodes: [{ name: nodeName }] });
    await stack.clusterReady();
    selectedIE = `urn:ngsi-ld:InfrastructureElement:${stack.clusterName}:${nodeName}`;
  });

  afterAll(async () => {
    await stack?.stop();
  });

  /** POSTs a CR (named in the YAML) to the LLO API. */
  const cr = (_name: string, yaml: string) =>
    call(stack.api.baseUrl, stack.api.token, 'POST', '/v1/service-components', yaml);
  const component = (name: string, want: (status: any) => boolean) =>
    waitFor(`${name} settled`, async () => {
      const res = await call(stack.api.baseUrl, stack.api.token, 'GET', `/v1/service-components/${name}?type=docker`);
      return res.status === 200 && want(res.body.status) ? res.body.status : undefined;
    });
  const k8sPath = '/k8s/apis/llo.aeros-project.eu/v1alpha1/namespaces/default/servicecomponentdockers';

  it('SLA: memory 0 and vcpus 0 still run with the defaults and a PID limit; privileged is refused by the node', async () => {
    const created = await stack.api.request(
      'POST',
      '/api/application',
      slaWith([
        busybox({ microservice_name: 'unlimited', memory: 0, vcpus: 0, cmd: ['sleep', '300'] }),
        busybox({ microservice_name: 'priv', memory: 16, vcpus: 1, privileged: true, cmd: ['sleep', '300'] }),
      ]),
    );
    expect(created.status).toBe(201);
    const [unlimited, priv] = created.body.applications[0].microservices as string[];
    for (const id of [unlimited, priv]) {
      expect((await stack.api.request('POST', `/api/service/${id}/instance`)).status).toBe(200);
    }
    const limits = await waitFor('the container', () => hostConfigOf(unlimited!), 90_000);
    expect(limits).toMatchObject(DEFAULTS);
    const refused = await waitFor('the privileged instance FAILED', async () => {
      const svc = await stack.api.request('GET', `/api/service/${priv}`);
      return svc.body.instance_list.find((i: any) => i.status === 'FAILED');
    });
    expect(refused.status_detail).toMatch(/^refused by node: privileged mode is not allowed.*NODE_ALLOW_PRIVILEGED/);
    expect(hostConfigOf(priv!)).toBeUndefined();
    const low = await stack.api.request(
      'POST',
      '/api/application',
      slaWith([busybox({ memory: 16, vcpus: 1, port: '80:80' })], 'lowport'),
    );
    expect(low.status).toBe(400);
    expect(low.body.errors[0].path).toBe('applications[0].microservices[0].port');
  });

  it('aerOS LLO CR: runs with the defaults and a PID limit; privileged refused by the node; port 80 exposed is a 400', async () => {
    const port = await freePort();
    expect((await cr('llo-plain', dockerCr({ name: 'llo-plain', selectedIE, port, greeting: 'x' }))).status).toBe(201);
    const running = await component('llo-plain', (s) => s?.serviceComponentStatus === 'Running');
    expect(hostConfigOf(running.serviceId)).toMatchObject(DEFAULTS);

    const privileged = dockerCr({ name: 'llo-priv', selectedIE, port: await freePort(), greeting: 'x' }).replace(
      'exposePorts: true',
      'exposePorts: true\n  privileged: true',
    );
    expect((await cr('llo-priv', privileged)).status).toBe(201);
    const failed = await component('llo-priv', (s) => s?.serviceComponentStatus === 'Failed');
    expect(JSON.stringify(failed)).toMatch(/refused by node: privileged mode is not allowed/);
    expect(hostConfigOf(failed.serviceId)).toBeUndefined();

    const low = await cr('llo-low', dockerCr({ name: 'llo-low', selectedIE, port: 80, greeting: 'x' }));
    expect(low.status).toBe(400);
    expect(low.text).toMatch(/host port 80 is outside/);
    const many = dockerCr({ name: 'llo-many', selectedIE, port: 20000, greeting: 'x' }).replace(
      / {2}ports:\n {4}- number: 20000\n {6}protocol: TCP\n/,
      `  ports:\n${Array.from({ length: 17 }, (_, i) => `    - number: ${20000 + i}\n`).join('')}`,
    );
    expect(many).toContain('number: 20016');
    const refusedMany = await cr('llo-many', many);
    expect(refusedMany.status).toBe(400);
    expect(refusedMany.text).toMatch(/17 entries are more than the 16 allowed/);
  });

  it('k8s route: the same CR runs with the defaults and a PID limit; port 80 exposed is refused', async () => {
    const body = (name: string, port: number) =>
      JSON.stringify({
        apiVersion: 'llo.aeros-project.eu/v1alpha1',
        kind: 'ServiceComponentDocker',
        metadata: { name },
        spec: { selectedIE, image: 'canopy-test/busybox:latest', exposePorts: true, ports: [{ number: port }] },
      });
    const post = (name: string, port: number) =>
      call(stack.api.baseUrl, stack.api.token, 'POST', k8sPath, body(name, port), 'application/json');
    expect((await post('k8s-plain', await freePort())).status).toBe(201);
    const serviceId = await waitFor('the k8s CR running', async () => {
      const res = await call(stack.api.baseUrl, stack.api.token, 'GET', `${k8sPath}/k8s-plain`);
      return res.body?.status?.serviceComponentStatus === 'Running' ? (res.body.status.serviceId as string) : undefined;
    });
    expect(hostConfigOf(serviceId)).toMatchObject(DEFAULTS);
    const low = await post('k8s-low', 443);
    expect(low.status).toBeGreaterThanOrEqual(400);
    expect(low.status).toBeLessThan(500);
    expect(low.text).toMatch(/host port 443 is outside/);
  });
});
