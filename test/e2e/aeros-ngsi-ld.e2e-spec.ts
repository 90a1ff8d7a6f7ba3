import { NgsiLdTestBroker } from '../../packages/root/test/support/ngsi-ld-test-broker';
import { call, dockerCr, waitForComponent } from '../support/aeros';
import { startStack, type Stack } from '../support/stack';
import { containersWithLabel, freePort, waitFor } from '@canopy/testing';

/**
 * NGSI-LD status end to end: a CR deployed through the LLO API, with the root's CB_URL/CB_PORT at a
 * context broker, shows Starting → Running → Removing → Finished there, with its IE, in order, even
 * though the broker refuses connections while the component is being removed. No NGSI-LD broker can
 * run on these machines (Orion-LD needs MongoDB), so the broker is a real HTTP stand-in that checks
 * every request against aerOS's NGSI-LD shapes.
 */
describe('aerOS NGSI-LD status across a broker outage', () => {
  jest.setTimeout(240_000);

  let stack: Stack;
  let broker: NgsiLdTestBroker;
  const nodeName = `ngsi-ie-${process.pid}`;
  const entityId = 'urn:ngsi-ld:Service:1:Component:1';

  beforeAll(async () => {
    broker = await NgsiLdTestBroker.start();
    broker.seed(entityId);
    stack = await startStack('aeros-ngsi', {
      nodes: [{ name: nodeName }],
      rootEnv: {
        CB_URL: 'http://127.0.0.1',
        CB_PORT: String(broker.port),
        NGSI_LD_RETRY_MAX_MS: '1000',
        NGSI_LD_UPSERT_IES: 'true',
        NGSI_LD_IE_INTERVAL_MS: '1000',
      },
    });
    await stack.clusterReady();
  });

  afterAll(async () => {
    await stack.stop();
    await broker.close();
  });

  it('publishes every transition in order, with the IE, and loses none while the broker is down', async () => {
    const { baseUrl: url, token } = stack.api;
    const selectedIE = `urn:ngsi-ld:InfrastructureElement:${stack.clusterName}:${nodeName}`;
    const name = 'service-1-component-1';
    const yaml = dockerCr({ name, selectedIE, port: await freePort(), greeting: 'hi' });
    expect((await call(url, token, 'POST', '/v1/service-components', yaml)).status).toBe(201);
    const running = await waitForComponent(
      url,
      token,
      name,
      (cr) => cr.status.serviceComponentStatus === 'Running',
      'Running',
    );
    await broker.waitFor(
      'Running at the broker',
      () => broker.statusesOf(entityId).some((s) => s.status === 'Running'),
      30_000,
    );

    await broker.close();
    expect((await call(url, token, 'DELETE', `/v1/service-components/${name}?type=docker`)).status).toBe(200);
    await waitFor(
      'the container gone while the broker is down',
      () => (containersWithLabel(`io.canopy.service-id=${running.status.serviceId}`).length === 0 ? true : undefined),
      60_000,
    );
    await broker.reopen();
    await broker.waitFor(
      'Finished at the broker',
      () => broker.statusesOf(entityId).some((s) => s.status === 'Finished'),
      60_000,
    );

    const delivered = broker.statusesOf(entityId).filter((s) => s.httpStatus >= 200 && s.httpStatus < 300);
    const sequence = delivered.map((s) => s.status).filter((s, i, all) => s !== all[i - 1]);
    expect(sequence).toEqual(['Starting', 'Running', 'Removing', 'Finished']);
    expect(delivered.find((s) => s.status === 'Running')?.infrastructureElement).toBe(selectedIE);
    expect(delivered.find((s) => s.status === 'Finished')?.infrastructureElement).toBe('urn:ngsi-ld:null');
    expect(broker.violations).toEqual([]);
  });

  it('upserts every node as an InfrastructureElement entity when NGSI_LD_UPSERT_IES is on', async () => {
    const ieId = `urn:ngsi-ld:InfrastructureElement:${stack.clusterName}:${nodeName}`;
    await broker.waitFor(
      'the IE upserted',
      (requests) =>
        requests.some((r) => r.url.startsWith('/ngsi-ld/v1/entityOperations/upsert') && r.entityIds.includes(ieId)),
      30_000,
    );
    const upsert = broker.requests.find(
      (r) => r.url.startsWith('/ngsi-ld/v1/entityOperations/upsert') && r.entityIds.includes(ieId),
    );
    const entity = (upsert?.body as Record<string, any>[]).find((e) => e.id === ieId);
    expect(entity).toMatchObject({ type: 'InfrastructureElement', hostname: { value: nodeName } });
    expect(broker.violations).toEqual([]);
  });
});
