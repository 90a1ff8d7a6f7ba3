import { call, dockerCr, httpText, inspectService, waitForComponent } from '../support/aeros';
import { startStack, type Stack } from '../support/stack';
import { containersWithLabel, freePort, waitFor } from '@canopy/testing';

/**
 * aerOS's LLO API end to end (tiers as separate processes, real containers): the docs'
 * `ServiceComponentDocker` deployed with a YAML POST runs on the IE it selects, with its cliArgs in
 * order, its envVars and its port served; listed by type; updated by PATCH; deleted.
 */
describe('aerOS LLO API: a ServiceComponentDocker end to end', () => {
  jest.setTimeout(240_000);

  let stack: Stack;
  let token: string;
  let url: string;
  const nodeName = `aeros-ie-${process.pid}`;

  beforeAll(async () => {
    stack = await startStack('aeros-llo', { nodes: [{ name: nodeName }] });
    await stack.clusterReady();
    token = stack.api.token;
    url = stack.api.baseUrl;
  });

  afterAll(async () => {
    await stack.stop();
  });

  it('deploys, lists, patches and deletes a CR as aerOS does', async () => {
    const port = await freePort();
    const name = 'service-1-component-1';
    const selectedIE = `urn:ngsi-ld:InfrastructureElement:${stack.clusterName}:${nodeName}`;
    const created = await call(
      url,
      token,
      'POST',
      '/v1/service-components',
      dockerCr({ name, selectedIE, port, greeting: 'hello' }),
    );
    expect(created).toMatchObject({ status: 201, body: { message: 'Successful ServiceComponent deployment' } });

    const running = await waitForComponent(
      url,
      token,
      name,
      (cr) => cr.status.serviceComponentStatus === 'Running',
      'component Running',
    );
    expect(running).toMatchObject({
      apiVersion: 'llo.aeros-project.eu/v1alpha1',
      kind: 'ServiceComponentDocker',
      metadata: { name, namespace: 'default', generation: 1, labels: { 'app.kubernetes.io/part-of': 'Service_1' } },
      status: { hostname: nodeName, canopyStatus: 'RUNNING' },
    });
    expect(running.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
    await waitFor('the container to serve on its exposed port', async () =>
      (await httpText(port)) === 'canopy-ok' ? true : undefined,
    );
    const container = inspectService(running.status.serviceId);
    expect(container?.Config.Cmd).toEqual(['httpd', '-f', '-p', String(port), '-h', '/www']);
    expect(container?.Config.Env).toContain('GREETING=hello');

    const listed = await call(url, token, 'GET', '/v1/service-components?type=DOCKER');
    expect(listed.status).toBe(200);
    expect(listed.headers.get('results-count')).toBe('1');
    expect(listed.headers.get('llo-type')).toBe('servicecomponentdockers');
    expect(listed.body.map((c: any) => c.metadata.name)).toEqual([name]);
    expect((await call(url, token, 'GET', '/v1/service-components?type=docker&onlyNames=true')).body).toEqual([name]);
    // llo-api's default type is k8s: the Docker CR is not among those.
    expect((await call(url, token, 'GET', '/v1/service-components')).body).toEqual([]);
    expect((await call(url, token, 'GET', '/v1/service-components?type=lxc')).body.error).toBe(
      'This LLO type is not valid',
    );
    expect(
      (await call(url, token, 'POST', '/v1/service-components', dockerCr({ name, selectedIE, port, greeting: 'x' })))
        .status,
    ).toBe(409);

    // PATCH takes the spec alone; labels stay.
    const spec = dockerCr({ name, selectedIE, port, greeting: 'bye' }).split('spec:\n')[1] ?? '';
    const patched = await call(
      url,
      token,
      'PATCH',
      `/v1/service-components/${name}?type=docker`,
      spec.replace(/^ {2}/gm, ''),
    );
    expect(patched.status).toBe(204);
    const updated = await waitForComponent(
      url,
      token,
      name,
      (cr) =>
        cr.metadata.generation === 2 &&
        cr.status.serviceComponentStatus === 'Running' &&
        inspectService(cr.status.serviceId)?.Config.Env.includes('GREETING=bye') === true,
      'the patched component Running with its new env',
    );
    expect(updated.metadata.labels['app.kubernetes.io/part-of']).toBe('Service_1');
    await waitFor('the patched container to serve', async () =>
      (await httpText(port)) === 'canopy-ok' ? true : undefined,
    );

    const deleted = await call(url, token, 'DELETE', `/v1/service-components/${name}?type=docker`);
    expect(deleted).toMatchObject({ status: 200, text: '' });
    await waitFor(
      'the container to be gone',
      () => (containersWithLabel(`io.canopy.service-id=${running.status.serviceId}`).length === 0 ? true : undefined),
      60_000,
    );
    const gone = await call(url, token, 'GET', `/v1/service-components/${name}?type=docker`);
    expect(gone.status).toBe(404);
    expect(gone.body.error).toContain(name);
  });
  it('runs an isJob CR to Finished, and shows a privileged CR the node refuses as Failed with why', async () => {
    const selectedIE = `urn:ngsi-ld:IE:${stack.clusterName}:${nodeName}`;
    const job = `apiVersion: llo.aeros-project.eu/v1alpha1
kind: ServiceComponentDocker
metadata:
  name: one-shot-job
spec:
  selectedIE: ${selectedIE}
  image: canopy-test/busybox:latest
  isJob: true
  cliArgs:
    - key: sh
    - key: -c
    - key: exit 0
`;
    expect((await call(url, token, 'POST', '/v1/service-components', job)).status).toBe(201);
    const finished = await waitForComponent(
      url,
      token,
      'one-shot-job',
      (cr) => cr.status.serviceComponentStatus === 'Finished',
      'the job Finished',
    );
    expect(finished.status.canopyStatus).toBe('COMPLETED');

    const privileged = dockerCr({ name: 'privileged-one', selectedIE, port: await freePort(), greeting: 'x' }).replace(
      'exposePorts: true',
      'exposePorts: true\n  privileged: true',
    );
    expect((await call(url, token, 'POST', '/v1/service-components', privileged)).status).toBe(201);
    const refused = await waitFor(
      'the privileged CR Failed',
      async () => {
        const res = await call(url, token, 'GET', '/v1/service-components/privileged-one?type=docker');
        return res.body.status?.serviceComponentStatus === 'Failed' ? res.body : undefined;
      },
      90_000,
    );
    expect(refused.status.detail).toMatch(/privileged/i);
    for (const name of ['one-shot-job', 'privileged-one']) {
      expect((await call(url, token, 'DELETE', `/v1/service-components/${name}?type=docker`)).status).toBe(200);
    }
  });
  /**
   * The field shapes of eclipse-aerios/llo-api's `examples/*.yaml` (plain, exposed ports with a
   * WireGuard overlay, a private registry with and without `url`, privileged, a two-document
   * Orion-LD + MongoDB pair with bare-flag cliArgs), written here with the IE of this stack and, where
   * a container must run, the local image. Each is accepted; the plain one runs.
   */
  it('accepts the shapes of the llo-api examples', async () => {
    const ie = `  selectedIE:\n    id: urn:ngsi-ld:InfrastructureElement:${stack.clusterName}:${nodeName}\n    hostname: ${nodeName}\n`;
    const head = (kind: string, name: string) =>
      `apiVersion: llo.aeros-project.eu/v1alpha1\nkind: ${kind}\nmetadata:\n  labels:\n    app.kubernetes.io/name: component-1-of-the-service-9\n    app.kubernetes.io/instance: Service_9_Component_1\n    app.kubernetes.io/part-of: Service_9\n    app.kubernetes.io/managed-by: aeros-project.eu\n    app.kubernetes.io/created-by: LowLevelOrchestrator_2\n  name: ${name}\nspec:\n${ie}`;
    const ports = '  ports:\n    - number: 80\n      protocol: TCP\n    - number: 443\n      protocol: TCP\n';
    const examples: Record<string, string> = {
      'ex-plain': `${head('ServiceComponentK8s', 'ex-plain')}  image: canopy-test/busybox:latest\n${ports}`,
      'ex-networking': `${head('ServiceComponentK8s', 'ex-networking')}  image: canopy-test/busybox:latest\n  exposePorts: false\n${ports}  networkOverlay:\n    internalIp: 10.13.0.4/32\n    dns: 10.13.0.1\n    privateKey: cHJpdmF0ZS1rZXktZm9yLXRlc3RzLW9ubHktMDAwMDA=\n    publicKey: cHVibGljLWtleS1mb3ItdGVzdHMtb25seS0wMDAwMDA=\n    endpoint: domain.example:51820\n    allowedIps: 10.13.0.0/24\n`,
      'ex-private': `${head('ServiceComponentK8s', 'ex-private')}  image: registry.example.invalid/team/web\n${ports}  imageRegistry:\n    # url: registry.example.invalid\n    username: user\n    password: token\n`,
      'ex-private-hub': `${head('ServiceComponentK8s', 'ex-private-hub')}  image: team/web\n${ports}  imageRegistry:\n    url: https://index.docker.io/v1/\n    username: user\n    password: token\n`,
      'ex-privileged': `${head('ServiceComponentK8s', 'ex-privileged')}  image: canopy-test/busybox:latest\n  privileged: true\n${ports}`,
      'ex-mongo': `${head('ServiceComponentK8s', 'ex-mongo')}  image: canopy-test/busybox:latest\n  ports:\n    - number: 27017\n      protocol: TCP\n`,
      'ex-orion': `${head('ServiceComponentK8s', 'ex-orion')}  image: canopy-test/busybox:latest\n  ports:\n    - number: 1026\n      protocol: TCP\n  cliArgs:\n    - key: httpd\n    - key: -f\n    - key: -p\n      value: "1026"\n    - key: -h\n      value: /www\n`,
    };
    for (const [name, yaml] of Object.entries(examples)) {
      const res = await call(url, token, 'POST', '/v1/service-components', yaml);
      expect({ name, status: res.status, body: res.status === 201 ? undefined : res.body }).toEqual({
        name,
        status: 201,
        body: undefined,
      });
    }
    const kept = await call(url, token, 'GET', '/v1/service-components/ex-networking?type=k8s');
    expect(kept.body.spec.networkOverlay).toMatchObject({
      internalIp: '10.13.0.4/32',
      endpoint: 'domain.example:51820',
    });
    const secret = await call(url, token, 'GET', '/v1/service-components/ex-private?type=k8s');
    expect(secret.body.spec.imageRegistry).toEqual({ username: 'user', password: '********' });
    expect(secret.text).not.toContain('token');
    const listed = await call(url, token, 'GET', '/v1/service-components?type=k8s&onlyNames=true');
    expect([...listed.body].sort()).toEqual(Object.keys(examples).sort());
    await waitForComponent(
      url,
      token,
      'ex-plain',
      (cr) => cr.status.serviceComponentStatus === 'Running',
      'the plain example Running',
      'k8s',
    );
    for (const name of Object.keys(examples)) {
      expect((await call(url, token, 'DELETE', `/v1/service-components/${name}?type=k8s`)).status).toBe(200);
    }
  });
});
