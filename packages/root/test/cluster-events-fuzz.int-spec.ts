import fc from 'fast-check';
import { InstanceReportDto, validateInput } from '@canopy/schema';
import { waitFor } from '@canopy/testing';
import { io } from 'socket.io-client';
import {
  eventMessages,
  reportOf,
  resources,
  wouldApply,
  type EventName,
  type Message,
} from './support/cluster-event-messages';
import { FakeCluster } from './support/fake-cluster';
import { startHttpRoot, type TestRoot } from './support/http-root';

/**
 * Property-based fuzzing of every event a cluster sends the root over Socket.IO (issue 10), against
 * a real root (in process, real Socket.IO, real SQLite) that holds a service with a RUNNING
 * instance on the fuzzing cluster. At least 2,000 generated messages, all invalid or wrong (garbage
 * of every JSON shape, wrong types, huge strings and arrays, prototype-pollution keys, reports
 * naming the real instance with bad statuses or generations, odd argument counts), acked and not.
 * Oracles: `/health` answers 200 throughout, every acked message is answered (an error for an
 * invalid one, never a timeout), no unhandled rejection, no 5xx from the API afterwards, and the
 * service and cluster read back as before (apart from the cluster's last-seen fields).
 */

const RUNS = Number(process.env.FUZZ_RUNS ?? 2000);
const SEED = Number(process.env.FUZZ_SEED ?? 20261201);
const BATCH = 25;
const CLUSTER_TOKEN = 'fuzz-events-cluster-token-01234567';
const CLUSTER = 'fuzz-edge';

describe('fuzzing the Socket.IO events a cluster sends the root (fast-check, real root)', () => {
  jest.setTimeout(120_000);
  let t: TestRoot;
  let token = '';
  let fake: FakeCluster;
  let serviceId = '';
  const rejections: unknown[] = [];
  const onRejection = (reason: unknown) => rejections.push(reason);

  const report = (extra: Record<string, unknown> = {}) => reportOf(serviceId, extra);

  const api = async (method: string, path: string, body?: unknown) => t.call(method, path, { token, body });
  const serviceView = async () => {
    const res = await api('GET', `/api/service/${serviceId}`);
    expect(res.status).toBe(200);
    return res.body as { instance_list: { status: string }[] };
  };
  const clusterList = async () => {
    const res = await api('GET', '/api/clusters');
    expect(res.status).toBe(200);
    // Last-seen fields move with every message; everything else must stay.
    return (res.body as Record<string, unknown>[]).map((c) => {
      const { last_seen: _seen, silent_s: _silent, last_modified_timestamp: _modified, ...rest } = c;
      return rest;
    });
  };

  beforeAll(async () => {
    process.on('unhandledRejection', onRejection);
    t = await startHttpRoot({
      CANOPY_CLUSTER_TOKEN: CLUSTER_TOKEN,
      CANOPY_ALLOW_SHARED_CLUSTER_TOKEN: 'true',
    });
    token = (await t.login('Admin', t.adminPassword)).token;
    fake = await new FakeCluster(t.root.url, CLUSTER_TOKEN, CLUSTER, resources).connected();
    expect(await fake.sync()).toEqual({ clusterId: expect.any(String), desired: [] });
    const created = await api('POST', '/api/application', {
      sla_version: 'v2.0',
      customerID: 'c',
      applications: [
        {
          applicationID: '',
          application_name: 'fuzzapp',
          application_namespace: 'ns',
          microservices: [
            {
              microservice_name: 'web',
              microservice_namespace: 'ns',
              virtualization: 'container',
              code: 'img',
              constraints: [{ type: 'direct', cluster: CLUSTER }],
            },
          ],
        },
      ],
    });
    expect(created.status).toBe(201);
    serviceId = created.body.applications[0].microservices[0] as string;
    expect((await api('POST', `/api/service/${serviceId}/instance`)).status).toBeLessThan(300);
    await waitFor('the deploy at the cluster', () => fake.deploys.find((d) => d.serviceId === serviceId));
    for (const s of ['NODE_SCHEDULED', 'CREATING', 'RUNNING']) {
      expect(await fake.report(report({ status: s }))).toEqual({ ok: true });
    }
    // A usage sample of the real instance, so that a wrong one wiping its history would show.
    fake.socket.emit('instance:usage', { instances: [{ ...report(), cpuPercent: 5, memoryMb: 32, at: Date.now() }] });
    await waitFor('RUNNING with usage', async () => {
      const i = (await serviceView()).instance_list[0] as { status?: string; cpu?: number | null } | undefined;
      return i?.status === 'RUNNING' && i.cpu === 5 ? true : undefined;
    });
  });

  afterAll(async () => {
    process.off('unhandledRejection', onRejection);
    fake?.silence();
    await t?.stop();
  });

  it(`survives ${RUNS} invalid cluster messages with every acked one answered and no state changed`, async () => {
    process.stderr.write(`cluster events fuzz: seed ${SEED} (FUZZ_SEED to replay), ${RUNS} messages\n`);
    const started = Date.now();
    const serviceBefore = await serviceView();
    const clustersBefore = await clusterList();
    const counts: Record<string, number> = {};
    const unanswered: string[] = [];
    const wrongAcks: string[] = [];
    const health: number[] = [];
    const show = (m: Message) => `${m.event} ${JSON.stringify(m.args).slice(0, 300)}`;

    let sent = 0;
    let seed = SEED;
    while (sent < RUNS) {
      const sample = fc
        .sample(eventMessages(serviceId), { numRuns: 200, seed: seed++ })
        .filter((m) => !wouldApply(serviceId, m));
      for (let i = 0; i < sample.length && sent < RUNS; i += BATCH) {
        const batch = sample.slice(i, i + BATCH);
        const acks = batch.map(async (m) => {
          counts[m.event] = (counts[m.event] ?? 0) + 1;
          if (!m.acked) {
            fake.socket.emit(m.event, ...(m.args as [never]));
            return;
          }
          try {
            const reply = (await fake.socket.timeout(5000).emitWithAck(m.event, ...(m.args as [never]))) as unknown;
            const r = reply as { ok?: unknown; error?: unknown } | null;
            const valid =
              m.event === 'instance:status' && m.args.length > 0 && validateInput(InstanceReportDto, m.args[0]).ok;
            // An invalid message gets an error naming why; a valid but wrong report is acked and ignored.
            const fine = valid ? r?.ok === true : r?.ok === false && typeof r.error === 'string' && r.error !== '';
            if (!fine && wrongAcks.length < 5) {
              wrongAcks.push(`${JSON.stringify(reply)} <- ${show(m)}`);
            }
          } catch (e) {
            if (unanswered.length < 5) {
              unanswered.push(`${(e as Error).message} <- ${show(m)}`);
            }
          }
        });
        sent += batch.length;
        await Promise.all(acks);
        health.push((await fetch(`${t.root.url}/health`)).status);
      }
    }
    // A marker: an acked message answered after everything sent before it was handled.
    expect(await fake.socket.timeout(5000).emitWithAck('cluster:sync', null)).toMatchObject({ ok: false });
    process.stderr.write(
      `cluster events fuzz: ${sent} messages in ${Date.now() - started} ms, per event ${JSON.stringify(counts)}\n`,
    );

    expect(sent).toBeGreaterThanOrEqual(RUNS);
    expect(fake.socket.connected).toBe(true);
    expect(health.filter((s) => s !== 200)).toEqual([]);
    expect((await fetch(`${t.root.url}/health`)).status).toBe(200);
    expect(unanswered).toEqual([]);
    expect(wrongAcks).toEqual([]);
    expect(rejections).toEqual([]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    // Nothing stored moved: the instance list (statuses, history, usage) and the cluster.
    expect(await serviceView()).toEqual(serviceBefore);
    expect(await clusterList()).toEqual(clustersBefore);
    for (const path of ['/api/applications', '/api/clusters', `/api/service/${serviceId}`, '/api/services']) {
      expect((await api('GET', path)).status).toBeLessThan(500);
    }
  });

  // The three bugs the fuzzing found, each pinned by one message.
  it('answers an acked event sent without a payload or with extra arguments', async () => {
    const ask = (event: EventName, ...args: unknown[]) =>
      fake.socket.timeout(5000).emitWithAck(event, ...(args as [never])) as Promise<unknown>;
    expect(await ask('instance:status')).toEqual({ ok: false, error: expect.stringContaining('JSON object') });
    expect(await ask('cluster:sync')).toEqual({ ok: false, error: expect.stringContaining('JSON object') });
    expect(await ask('instance:status', report({ generation: 0 }), 'extra', 42)).toEqual({ ok: true });
    expect(await ask('cluster:sync', { resources: null }, { instances: [] })).toEqual({
      ok: false,
      error: expect.stringContaining('resources'),
    });
  });

  it('refuses a second connection under the live name before any of its events is handled', async () => {
    const before = await serviceView();
    /** A cluster connection that sends its events at once (buffered until the handshake is through). */
    const eager = (name: string) => {
      const socket = io(`${t.root.url}/clusters`, {
        auth: { token: CLUSTER_TOKEN, name },
        reconnection: false,
        transports: ['websocket'],
      });
      const refused = new Promise<string>((resolve) => {
        socket.on('disconnect', () => resolve('disconnected'));
        socket.on('connect_error', (e) => resolve(e.message));
      });
      socket.emit('cluster:resources', resources);
      socket.emit('cluster:heartbeat', { sentAt: Date.now() });
      socket.emit('instance:usage', { instances: [] });
      socket.emit('instance:status', report({ status: 'FAILED' }));
      return { socket, refused };
    };
    const impostor = eager(CLUSTER);
    expect(await impostor.refused).toBe(`cluster ${CLUSTER} is already connected`);
    impostor.socket.close();
    // The marker: the live cluster is still heard and answered, after the impostor's events.
    expect(await fake.report(report({ generation: 0 }))).toEqual({ ok: true });
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(rejections).toEqual([]);
    expect(await serviceView()).toEqual(before);
  });

  it('ignores a report or a usage sample naming a generation the instance does not run', async () => {
    const before = await serviceView();
    expect(before.instance_list[0]?.status).toBe('RUNNING');
    expect(await fake.report(report({ generation: 2, status: 'FAILED', status_detail: 'forged' }))).toEqual({
      ok: true,
    });
    fake.socket.emit('instance:usage', { instances: [{ ...report(), generation: 2, cpuPercent: 99, at: 1 }] });
    // The marker: a right sample after the wrong one; the wrong one neither shows nor wiped the history.
    fake.socket.emit('instance:usage', { instances: [{ ...report(), cpuPercent: 6, at: 2 }] });
    type Usage = { status: string; cpu: number | null; cpu_history: { value: number }[] };
    const after = await waitFor('the right sample', async () => {
      const i = (await serviceView()).instance_list[0] as Usage | undefined;
      return i?.cpu === 6 ? i : undefined;
    });
    const was = before.instance_list[0] as Usage;
    expect(after.status).toBe('RUNNING');
    expect(after.cpu_history.map((p) => p.value)).toEqual([...was.cpu_history.map((p) => p.value), 6]);
    const { cpu_history: _h, cpu: _c, memory_history: _mh, ...rest } = after as Usage & Record<string, unknown>;
    const { cpu_history: _h0, cpu: _c0, memory_history: _mh0, ...restBefore } = was as Usage & Record<string, unknown>;
    expect(rest).toEqual(restBefore);
  });
});
