import { execFileSync } from 'node:child_process';
import { call, httpText, inspectService } from '../support/aeros';
import { startStack, type Stack } from '../support/stack';
import { containersWithLabel, waitFor } from '@canopy/testing';

/**
 * aerOS's `/hlo_al` API end to end on a two-node cluster (tiers as separate processes, real
 * containers): allocate on one IE, read it back, change its image, move it to the other IE with no
 * moment where it is not Running, deallocate.
 */
// One tag per run: the Docker engine is shared, and a fixed tag would be removed under a
// concurrent run of this test.
const V2_IMAGE = `canopy-test/busybox:hlo-v2-${process.pid}`;

describe('aerOS HLO allocation API on two IEs', () => {
  jest.setTimeout(300_000);

  let stack: Stack;
  let url: string;
  let token: string;
  const nodes = [`hlo-a-${process.pid}`, `hlo-b-${process.pid}`];
  const ie = (node: string) => ({
    id: `urn:ngsi-ld:InfrastructureElement:${stack.clusterName}:${node}`,
    hostname: node,
  });
  const serviceId = 'urn:ngsi-ld:Service:hlo01';
  const componentId = 'urn:ngsi-ld:Service:hlo01:Component:web';
  const path = `/hlo_al/services/${serviceId}/service_components/${componentId}`;

  const allocation = (node: string, greeting: string, image = 'canopy-test/busybox:latest') => ({
    image,
    // aerOS's TOSCA inputs spell these as maps; the allocation API's own lists are accepted too.
    cliArgs: [{ key: 'httpd' }, { key: '-f' }, { key: '-p', value: '80' }, { key: '-h', value: '/www' }],
    envVars: { GREETING: greeting },
    infrastructure_element: ie(node),
    ports: [{ number: 80 }],
    orchestration_type: 'ServiceComponentDocker',
    llo_id: 'urn:ngsi-ld:LowLevelOrchestrator:Canopy',
    // Both test IEs share one Docker engine, so no fixed host port: Docker picks one per container.
    exposePorts: false,
  });

  const json = (body: unknown) => JSON.stringify(body);
  const get = async () => (await call(url, token, 'GET', path)).body;

  beforeAll(async () => {
    stack = await startStack('aeros-hlo', { nodes: nodes.map((name) => ({ name })) });
    // A second image to update to (no registry here): the test image under another tag.
    execFileSync('docker', ['tag', 'canopy-test/busybox:latest', V2_IMAGE]);
    await stack.clusterReady();
    url = stack.api.baseUrl;
    token = stack.api.token;
  });

  afterAll(async () => {
    await stack.stop();
    execFileSync('docker', ['rmi', V2_IMAGE], { stdio: 'ignore' });
  });

  it('allocates, reads, updates the image, moves with no gap, and deallocates', async () => {
    const [a, b] = nodes as [string, string];
    const created = await call(
      url,
      token,
      'POST',
      `/hlo_al/services/${serviceId}`,
      json({ service_component: { id: componentId, ...allocation(a, 'one') } }),
      'application/json',
    );
    expect(created.status).toBe(201);
    expect(created.body.status).toContain('allocated');
    const again = await call(
      url,
      token,
      'POST',
      `/hlo_al/services?service_id=${serviceId}`,
      json({ service_component: { id: componentId, ...allocation(a, 'one') } }),
      'application/json',
    );
    expect(again.status).toBe(409);

    const running = await waitFor(
      'allocation Running on IE a',
      async () => {
        const p = await get();
        return p.serviceComponentStatus === 'Running' ? p : undefined;
      },
      90_000,
    );
    expect(running).toMatchObject({
      id: componentId,
      image: 'canopy-test/busybox:latest',
      infrastructure_element: ie(a),
      orchestration_type: 'ServiceComponentDocker',
      envVars: [{ key: 'GREETING', value: 'one' }],
      infrastructureElement: ie(a).id,
    });
    const cr = (await call(url, token, 'GET', `/v1/service-components/aeros-service-hlo01-component-web?type=docker`))
      .body;
    expect(cr.metadata.labels).toMatchObject({
      'app.kubernetes.io/part-of': 'Service_hlo01',
      'app.kubernetes.io/created-by': 'LowLevelOrchestrator_Canopy',
    });
    const hostPort = cr.status.hostPorts[0].host_port as number;
    expect(await httpText(hostPort)).toBe('canopy-ok');

    // The query spelling of the ids (aerOS's OpenAPI declares them `in: query`) reads the same.
    const byQuery = await call(
      url,
      token,
      'GET',
      `/hlo_al/services/%7Bservice_id%7D/service_components/%7Bservice_component_id%7D?service_id=${serviceId}&service_component_id=${componentId}`,
    );
    expect(byQuery.body.id).toBe(componentId);

    // A new image and env (aerOS's PUT is a stub; here it rolls the component over).
    const v2 = V2_IMAGE;
    expect((await call(url, token, 'PUT', path, json(allocation(a, 'two', v2)), 'application/json')).status).toBe(200);
    const updated = await waitFor(
      'the update Running',
      async () => {
        const c = (
          await call(url, token, 'GET', `/v1/service-components/aeros-service-hlo01-component-web?type=docker`)
        ).body;
        return c.metadata.generation === 2 &&
          c.status.serviceComponentStatus === 'Running' &&
          inspectService(c.status.serviceId)?.Config.Env.includes('GREETING=two') &&
          inspectService(c.status.serviceId)?.Config.Image === v2
          ? c
          : undefined;
      },
      90_000,
    );

    // Move to IE b: the component never stops being Running, and ends on b.
    expect((await call(url, token, 'PUT', path, json(allocation(b, 'two', v2)), 'application/json')).status).toBe(200);
    const seen: string[] = [];
    const moved = await waitFor(
      'the component Running on IE b',
      async () => {
        const c = (
          await call(url, token, 'GET', `/v1/service-components/aeros-service-hlo01-component-web?type=docker`)
        ).body;
        seen.push(`${c.status.serviceComponentStatus}@${c.status.hostname}`);
        return c.status.serviceComponentStatus === 'Running' && c.status.hostname === b && c.metadata.generation === 3
          ? c
          : undefined;
      },
      120_000,
      100,
    );
    expect(seen.every((s) => s.startsWith('Running@'))).toBe(true);
    expect((await get()).infrastructureElement).toBe(ie(b).id);
    await waitFor(
      'one container left, on b',
      () => (containersWithLabel(`io.canopy.service-id=${updated.status.serviceId}`).length === 1 ? true : undefined),
      60_000,
    );
    expect(await httpText(moved.status.hostPorts[0].host_port as number)).toBe('canopy-ok');

    const deleted = await call(url, token, 'DELETE', path);
    expect(deleted).toMatchObject({ status: 200, body: { status: 'Service component deallocated' } });
    expect((await call(url, token, 'GET', path)).status).toBe(404);
    await waitFor(
      'no container left',
      () => (containersWithLabel(`io.canopy.service-id=${updated.status.serviceId}`).length === 0 ? true : undefined),
      60_000,
    );
  });
});
