import { call, dockerCr, httpText, waitForComponent } from '../support/aeros';
import { startStack, type Stack } from '../support/stack';
import { containersWithLabel, freePort, waitFor } from '@canopy/testing';

/**
 * An aerOS HLO with no user account, end to end (tiers as separate processes, a real container):
 * an admin mints it an API token, it deploys a ServiceComponentDocker with that token, the same CR
 * is visible and deletable from the trusted network without any header (one principal, the aerOS
 * service account), the token opens nothing outside the aerOS routes, and revoking it is immediate.
 */
describe('aerOS machine auth end to end: API token and trusted network', () => {
  jest.setTimeout(240_000);

  let stack: Stack;
  let admin: string;
  let url: string;
  const nodeName = `aeros-auth-ie-${process.pid}`;

  beforeAll(async () => {
    stack = await startStack('aeros-auth', {
      nodes: [{ name: nodeName }],
      rootEnv: { AEROS_TRUSTED_NETWORKS: '127.0.0.0/8,::1', AEROS_SERVICE_ACCOUNT: 'hlo-e2e' },
    });
    await stack.clusterReady();
    admin = stack.api.token;
    url = stack.api.baseUrl;
  });

  afterAll(async () => {
    await stack.stop();
  });

  it('an HLO deploys with its API token; the trusted network sees and deletes the same CR', async () => {
    const minted = await call(url, admin, 'POST', '/api/tokens', JSON.stringify({ name: 'hlo' }), 'application/json');
    expect(minted.status).toBe(201);
    const hlo = minted.body.token as string;
    expect(hlo).toMatch(/^canopy_at_/);

    const port = await freePort();
    const name = 'hlo-component-1';
    const selectedIE = `urn:ngsi-ld:InfrastructureElement:${stack.clusterName}:${nodeName}`;
    const created = await call(
      url,
      hlo,
      'POST',
      '/v1/service-components',
      dockerCr({ name, selectedIE, port, greeting: 'hi' }),
    );
    expect(created.status).toBe(201);
    const running = await waitForComponent(
      url,
      hlo,
      name,
      (cr) => cr.status.serviceComponentStatus === 'Running',
      'component Running',
    );
    await waitFor('the container to serve on its exposed port', async () =>
      (await httpText(port)) === 'canopy-ok' ? true : undefined,
    );

    // No header, from 127.0.0.1: the service account, which owns the CR the token created.
    const viaNetwork = await call(url, undefined, 'GET', '/v1/service-components?type=docker&onlyNames=true');
    expect(viaNetwork).toMatchObject({ status: 200, body: [name] });
    // The token and the trusted network open nothing outside the aerOS routes.
    expect((await call(url, hlo, 'GET', '/api/applications')).status).toBe(403);
    expect((await call(url, undefined, 'GET', '/api/applications')).status).toBe(401);
    // The owner is the non-admin service account the token acts as; an admin sees its application.
    const tokens = (await call(url, admin, 'GET', '/api/tokens')).body as { id: string; user_id: string }[];
    const account = tokens.find((t) => t.id === minted.body.id)?.user_id;
    const users = (await call(url, admin, 'GET', '/api/users')).body as {
      id: string;
      username: string;
      role: string;
    }[];
    expect(users.find((u) => u.id === account)).toMatchObject({ username: 'hlo-e2e', role: 'Application_Provider' });
    const apps = (await call(url, admin, 'GET', '/api/applications')).body as { userId: string }[];
    expect(apps.filter((a) => a.userId === account)).toHaveLength(1);

    const revoked = await call(url, admin, 'DELETE', `/api/tokens/${minted.body.id}`);
    expect(revoked.status).toBe(200);
    expect((await call(url, hlo, 'GET', `/v1/service-components/${name}?type=docker`)).status).toBe(401);

    const deleted = await call(url, undefined, 'DELETE', `/v1/service-components/${name}?type=docker`);
    expect(deleted.status).toBe(200);
    await waitFor(
      'the container to be gone',
      () => (containersWithLabel(`io.canopy.service-id=${running.status.serviceId}`).length === 0 ? true : undefined),
      60_000,
    );
  });
});
