import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ensureTestImage,
  freePort,
  makeTestPki,
  removeContainersWithLabel,
  waitFor,
  type TestPki,
} from '@canopy/testing';
import { busybox, HTTPD, slaWith } from '../support/api';
import { startTier, stopTier, type TierProcess } from '../support/processes';

/** JSON over HTTPS, verified against `ca` (fetch in Node 20 takes no CA of its own). */
function httpsJson(
  url: string,
  ca: string,
  method = 'GET',
  body?: unknown,
  token?: string,
): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method,
        ca: readFileSync(ca),
        headers: {
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => {
          let parsed: unknown = text;
          try {
            parsed = JSON.parse(text);
          } catch {
            /* text stays text */
          }
          resolve({ status: res.statusCode ?? 0, body: parsed });
        });
      },
    );
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

/**
 * TLS on every wire from operator certificates: HTTPS for the root's and the cluster's APIs, WSS
 * for cluster → root, MQTTS for the in-process broker; a deploy end to end over all of them, and
 * a cluster that trusts another CA never joins.
 */
describe('TLS on every wire (separate processes)', () => {
  jest.setTimeout(180_000);

  const adminPassword = 'tls-admin-password';
  const clusterToken = 'tls-cluster-token-0123456789';
  const nodeToken = 'tls-node-token-0123456789';
  let work: string;
  let pki: TestPki;
  let other: TestPki;
  let rootUrl: string;
  let token: string;
  let serviceId = '';
  const tiers: TierProcess[] = [];

  const startCluster = async (name: string, rootCa: string): Promise<{ tier: TierProcess; port: number }> => {
    const port = await freePort();
    const tier = startTier(
      'cluster',
      name,
      {
        ROOT_URL: rootUrl,
        ROOT_CA_FILE: rootCa,
        CLUSTER_TOKEN: clusterToken,
        CLUSTER_NAME: name,
        CLUSTER_PORT: String(port),
        MQTT_PORT: String(await freePort()),
        NODE_TOKEN: nodeToken,
        CLUSTER_DATA_DIR: join(work, name),
        CANOPY_TLS_CERT_FILE: pki.serverCert,
        CANOPY_TLS_KEY_FILE: pki.serverKey,
        MQTT_TLS_CERT_FILE: pki.serverCert,
        MQTT_TLS_KEY_FILE: pki.serverKey,
        MQTT_CA_FILE: pki.caCert,
        SYNC_INTERVAL_MS: '2000',
      },
      join(work, 'logs'),
    );
    tiers.push(tier);
    return { tier, port };
  };

  beforeAll(async () => {
    await ensureTestImage();
    work = mkdtempSync(join(tmpdir(), 'canopy-tls-'));
    pki = makeTestPki(work, 'canopy');
    other = makeTestPki(work, 'stranger');
    const rootPort = await freePort();
    rootUrl = `https://127.0.0.1:${rootPort}`;
    tiers.push(
      startTier(
        'root',
        'tls-root',
        {
          ROOT_PORT: String(rootPort),
          ROOT_DATA_DIR: join(work, 'root'),
          CANOPY_ADMIN_PASSWORD: adminPassword,
          CANOPY_CLUSTER_TOKEN: clusterToken,
          CANOPY_ALLOW_SHARED_CLUSTER_TOKEN: 'true',
          CANOPY_TLS_CERT_FILE: pki.serverCert,
          CANOPY_TLS_KEY_FILE: pki.serverKey,
          RECONCILE_INTERVAL_MS: '1000',
        },
        join(work, 'logs'),
      ),
    );
    await waitFor('root health over HTTPS', async () =>
      (await httpsJson(`${rootUrl}/health`, pki.caCert)).status === 200 ? true : undefined,
    );
    const login = await httpsJson(`${rootUrl}/api/auth/login`, pki.caCert, 'POST', {
      username: 'Admin',
      password: adminPassword,
    });
    token = login.body.token;
  });

  afterAll(async () => {
    for (const t of tiers.reverse()) {
      await stopTier(t);
    }
    if (serviceId !== '') {
      removeContainersWithLabel(`io.canopy.service-id=${serviceId}`);
    }
    rmSync(work, { recursive: true, force: true });
  });

  it('refuses plain HTTP and a client that trusts another CA at the root', async () => {
    await expect(fetch(`${rootUrl.replace('https', 'http')}/health`)).rejects.toThrow();
    await expect(httpsJson(`${rootUrl}/health`, other.caCert)).rejects.toThrow(/certificate/i);
  });

  it('deploys end to end over HTTPS, WSS and MQTTS', async () => {
    const { port: clusterPort } = await startCluster('tls-cluster', pki.caCert);
    await waitFor('cluster HTTPS', async () =>
      (await httpsJson(`https://127.0.0.1:${clusterPort}/health`, pki.caCert)).status === 200 ? true : undefined,
    );
    tiers.push(
      startTier(
        'node-engine',
        'tls-node',
        {
          CLUSTER_URL: `https://127.0.0.1:${clusterPort}`,
          // Node's own variable: the registration call (fetch) verifies the cluster against it.
          NODE_EXTRA_CA_CERTS: pki.caCert,
          NODE_CA_FILE: pki.caCert,
          NODE_TOKEN: nodeToken,
          NODE_NAME: 'tls-node',
          NODE_DATA_DIR: join(work, 'node'),
          REPORT_INTERVAL_MS: '500',
        },
        join(work, 'logs'),
      ),
    );
    await waitFor('the cluster active at the root over WSS with its node live over MQTTS', async () => {
      const res = await httpsJson(`${rootUrl}/api/clusters/active`, pki.caCert, 'GET', undefined, token);
      const c = Array.isArray(res.body) ? res.body.find((x: any) => x.cluster_name === 'tls-cluster') : undefined;
      return c?.resources?.activeNodes >= 1 ? true : undefined;
    });

    const hostPort = await freePort();
    const created = await httpsJson(
      `${rootUrl}/api/application`,
      pki.caCert,
      'POST',
      slaWith([
        busybox({
          cmd: HTTPD,
          memory: 64,
          vcpus: 1,
          port: `${hostPort}:80`,
        }),
      ]),
      token,
    );
    expect(created.status).toBe(201);
    serviceId = created.body.applications[0].microservices[0];
    const deployed = await httpsJson(
      `${rootUrl}/api/service/${serviceId}/instance`,
      pki.caCert,
      'POST',
      undefined,
      token,
    );
    expect(deployed.status).toBe(200);
    await waitFor('instance RUNNING', async () => {
      const svc = await httpsJson(`${rootUrl}/api/service/${serviceId}`, pki.caCert, 'GET', undefined, token);
      return svc.body.instance_list?.[0]?.status === 'RUNNING' ? true : undefined;
    });
    expect((await (await fetch(`http://127.0.0.1:${hostPort}/`)).text()).trim()).toBe('canopy-ok');
  });

  it('a cluster that trusts another CA never joins the root', async () => {
    const { tier } = await startCluster('tls-stranger', other.caCert);
    // Same root, same token: only the certificate check can make the link fail.
    await waitFor('the root link refused', () =>
      readFileSync(tier.logFile, 'utf8').includes('root connection failed') ? true : undefined,
    );
    const res = await httpsJson(`${rootUrl}/api/clusters`, pki.caCert, 'GET', undefined, token);
    const names = Array.isArray(res.body) ? res.body.map((c: any) => c.cluster_name) : [];
    expect(names).toContain('tls-cluster');
    expect(names).not.toContain('tls-stranger');
  });
});
