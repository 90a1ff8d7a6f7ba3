import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RootApi, slaWith } from '../support/api';
import { ComposeProject, composeUnavailable, ensureBaseImages } from '../support/compose';
import { containersWithLabel, ensureTestImage, freePort, removeContainersWithLabel, waitFor } from '@canopy/testing';
import { startInstalledNode } from '../support/installed-node';
import { dashboardQueries, PrometheusApi } from '../support/prometheus';
import { REPO, stopTier, type TierProcess } from '../support/processes';

const unavailable = composeUnavailable();
if (unavailable !== undefined) {
  console.warn(`compose tests skipped: ${unavailable}`);
}
const describeCompose = unavailable === undefined ? describe : describe.skip;

/**
 * The production shape (SPEC §7) for real: both compose files built and booted with
 * docker-compose, the root on SQLite (override) with its Prometheus, the cluster with Mosquitto
 * and per-node logins, a node engine installed by scripts/install-node-engine.sh on the host
 * joining through the cluster's published ports, a container served, every query of the Grafana
 * dashboard answered by that Prometheus; then `down` and `up` again with the volumes kept.
 */
describeCompose('compose: root and cluster tiers from their compose files', () => {
  jest.setTimeout(900_000);

  const tag = `${process.pid}`;
  const adminPassword = `compose-admin-${tag}`;
  const clusterToken = `compose-cluster-token-${tag}-0123456789`;
  const nodeToken = `compose-node-token-${tag}-0123456789`;
  const nodeName = `compose-node-${tag}`;
  const metricsToken = `compose-metrics-token-${tag}-0123456789`;
  let work: string;
  let root: ComposeProject;
  let cluster: ComposeProject;
  let node: TierProcess | undefined;
  let api: RootApi;
  let prometheus: PrometheusApi;
  let serviceId = '';

  // As on a worker: installed, configured by its config file (cluster address, token, name).
  const startNode = (clusterPort: number): Promise<TierProcess> =>
    startInstalledNode(
      join(work, 'prefix'),
      { clusterHost: '127.0.0.1', clusterPort, token: nodeToken, name: nodeName },
      { LOG_LEVEL: 'debug', REPORT_INTERVAL_MS: '500' },
      work,
    );

  const clusterActive = (): Promise<true> =>
    waitFor(
      'the compose cluster active at the root with its node live',
      async () => {
        const res = await api.request('GET', '/api/clusters/active');
        const c = Array.isArray(res.body) ? res.body.find((x: any) => x.cluster_name === 'compose') : undefined;
        return c?.resources?.activeNodes >= 1 ? (true as const) : undefined;
      },
      120_000,
      500,
    );

  const instanceStatus = async (): Promise<any> => {
    const svc = await api.request('GET', `/api/service/${serviceId}`);
    return svc.body.instance_list?.[0];
  };

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'canopy-compose-'));
    await ensureTestImage();
    ensureBaseImages();
    const rootPort = await freePort();
    const clusterPort = await freePort();
    const mqttPort = await freePort();
    const prometheusPort = await freePort();
    root = new ComposeProject(`canopy-ct-root-${tag}`, ['docker-compose.root.yml', 'docker-compose.root.sqlite.yml'], {
      ROOT_PUBLISHED_PORT: String(rootPort),
      CANOPY_ADMIN_PASSWORD: adminPassword,
      CANOPY_CLUSTER_TOKEN: clusterToken,
      CANOPY_METRICS_TOKEN: metricsToken,
      // As for a cluster on the root's host; scraped every 2 s so that rate() has data soon.
      CANOPY_PROMETHEUS_CLUSTERS: `host.docker.internal:${clusterPort}`,
      PROMETHEUS_PUBLISHED_PORT: String(prometheusPort),
      PROMETHEUS_SCRAPE_INTERVAL: '2s',
    });
    prometheus = new PrometheusApi(`http://127.0.0.1:${prometheusPort}`);
    cluster = new ComposeProject(`canopy-ct-cluster-${tag}`, ['docker-compose.cluster.yml'], {
      ROOT_URL: `http://host.docker.internal:${rootPort}`,
      CLUSTER_TOKEN: clusterToken,
      CLUSTER_NAME: 'compose',
      NODE_TOKEN: nodeToken,
      MQTT_ADMIN_PASSWORD: `compose-mqtt-admin-${tag}`,
      MQTT_ADVERTISED_HOST: '127.0.0.1',
      CLUSTER_PUBLISHED_PORT: String(clusterPort),
      MQTT_PUBLISHED_PORT: String(mqttPort),
      CANOPY_METRICS_TOKEN: metricsToken,
    });
    const built = Date.now();
    await root.run('build');
    await cluster.run('build');
    console.log(`compose images built in ${Math.round((Date.now() - built) / 1000)} s`);
    const booted = Date.now();
    await root.run('up', '-d');
    // Each probe has its own deadline: a published port accepts before the container listens,
    // and a request sent then may never be answered.
    api = new RootApi(`http://127.0.0.1:${rootPort}`);
    await waitFor('root health through its published port', async () =>
      (await fetch(`${api.baseUrl}/health`, { signal: AbortSignal.timeout(2000) })).ok ? true : undefined,
    ).catch(async (err: Error) => {
      throw new Error(`${err.message}\n${await root.logs()}`);
    });
    await api.login('Admin', adminPassword);
    // As an operator would in production: register the cluster, start it with its own credential
    // (the root compose admits no shared cluster token).
    const registered = await api.request('POST', '/api/clusters', { name: 'compose' });
    expect(registered.status).toBe(201);
    cluster.env.CLUSTER_TOKEN = registered.body.credential;
    await cluster.run('up', '-d');
    // As an operator would: the node joins once the cluster answers on its published port.
    await waitFor('cluster health through its published port', async () =>
      (await fetch(`http://127.0.0.1:${clusterPort}/health`, { signal: AbortSignal.timeout(2000) })).ok
        ? true
        : undefined,
    ).catch(async (err: Error) => {
      throw new Error(`${err.message}\n${await cluster.logs()}`);
    });
    const installed = Date.now();
    node = await startNode(clusterPort);
    console.log(`node engine installed in ${Math.round((Date.now() - installed) / 1000)} s`);
    await clusterActive().catch(async (err: Error) => {
      const nodeLog = node === undefined ? '' : readFileSync(node.logFile, 'utf8').slice(-4000);
      const exit = node?.child.exitCode ?? node?.child.signalCode ?? 'running';
      throw new Error(`${err.message}\n${await cluster.logs()}\nnode engine (${exit}):\n${nodeLog}`);
    });
    console.log(`compose stacks up with the node joined in ${Math.round((Date.now() - booted) / 1000)} s`);
  });

  afterAll(async () => {
    if (node) {
      await stopTier(node);
    }
    for (const project of [cluster, root]) {
      await project?.run('down', '-v', '--remove-orphans', '-t', '5').catch(() => undefined);
    }
    if (serviceId !== '') {
      removeContainersWithLabel(`io.canopy.service-id=${serviceId}`);
    }
    rmSync(work, { recursive: true, force: true });
  });

  it('deploys an SLA through the compose tiers and serves its container', async () => {
    const hostPort = await freePort();
    const created = await api.request(
      'POST',
      '/api/application',
      slaWith([
        {
          microserviceID: '',
          microservice_name: 'web',
          microservice_namespace: 'test',
          virtualization: 'container',
          code: 'canopy-test/busybox:latest',
          cmd: ['httpd', '-f', '-p', '80', '-h', '/www'],
          memory: 64,
          vcpus: 1,
          port: `${hostPort}:80`,
        },
      ]),
    );
    expect(created.status).toBe(201);
    serviceId = created.body.applications[0].microservices[0];
    expect((await api.request('POST', `/api/service/${serviceId}/instance`)).status).toBe(200);
    const running = await waitFor(
      'instance RUNNING',
      async () => {
        const inst = await instanceStatus();
        if (inst && ['FAILED', 'DEAD', 'NO_WORKER_CAPACITY'].includes(inst.status)) {
          throw new Error(`instance ended ${inst.status}: ${inst.status_detail}`);
        }
        return inst?.status === 'RUNNING' ? inst : undefined;
      },
      90_000,
    );
    expect(running.node_name).toBe(nodeName);
    const page = await fetch(`http://127.0.0.1:${hostPort}/`);
    expect((await page.text()).trim()).toBe('canopy-ok');
    expect(containersWithLabel(`io.canopy.service-id=${serviceId}`)).toHaveLength(1);
  });

  it('has Prometheus scrape root and cluster with the scrape token and answer every dashboard query', async () => {
    // Both Canopy jobs up: the token reached both tiers (a wrong or missing one is a 401, health "down").
    const targets = await waitFor(
      'Prometheus scraping the root and the cluster',
      async () => {
        const all = (await prometheus.activeTargets().catch(() => [])).filter((t) =>
          t.labels.job?.startsWith('canopy-'),
        );
        return all.length === 2 && all.every((t) => t.health === 'up') ? all : undefined;
      },
      60_000,
      1000,
    ).catch(async (err: Error) => {
      const seen = await prometheus.activeTargets().catch((e: Error) => e.message);
      throw new Error(`${err.message}\n${JSON.stringify(seen)}\n${await root.logs()}`);
    });
    expect(targets.map((t) => t.labels.job).sort()).toEqual(['canopy-cluster', 'canopy-root']);
    // What the first test deployed shows once scraped: a RUNNING instance at the root, a placement at the cluster.
    const deployed =
      'canopy_instances{status="RUNNING"} == 1 and on() canopy_cluster_placements_total{result="placed"} >= 1';
    await waitFor(
      'the deployed instance in Prometheus',
      async () => ((await prometheus.run({ where: 'deployed', expr: deployed })) === 1 ? true : undefined),
      30_000,
      500,
    );
    const queries = dashboardQueries(join(REPO, 'docs/grafana/canopy.json'));
    expect(queries.length).toBeGreaterThanOrEqual(10);
    // Scrapes are periodic: each query gets until it has data, but an error fails it at once.
    for (const q of queries) {
      const answer = await waitFor(
        `data for ${q.where}: ${q.expr ?? q.labelValues?.match}`,
        async () => {
          const r = await prometheus.run(q).then(
            (series) => ({ query: q.where, series }),
            (err: Error) => ({ query: q.where, error: err.message }),
          );
          return 'error' in r || r.series > 0 ? r : undefined;
        },
        30_000,
        500,
      );
      expect(answer).toEqual({ query: q.where, series: expect.any(Number) });
    }
  });

  it('keeps everything across down and up (volumes kept): same service, one container, node back', async () => {
    const before = containersWithLabel(`io.canopy.service-id=${serviceId}`);
    expect(before).toHaveLength(1);
    await cluster.run('down', '-t', '5');
    await root.run('down', '-t', '5');
    expect(await root.containers()).toEqual([]);
    await root.run('up', '-d');
    await cluster.run('up', '-d');
    await waitFor('root health after up', async () =>
      (await fetch(`${api.baseUrl}/health`, { signal: AbortSignal.timeout(2000) })).ok ? true : undefined,
    );
    // The root's SQLite file survived in its volume: the same admin logs in, the service is there.
    await api.login('Admin', adminPassword);
    await clusterActive();
    const inst = await waitFor('the instance RUNNING again', async () => {
      const i = await instanceStatus();
      return i?.status === 'RUNNING' ? i : undefined;
    });
    expect(inst.node_name).toBe(nodeName);
    expect(containersWithLabel(`io.canopy.service-id=${serviceId}`)).toEqual(before);
  });
});
