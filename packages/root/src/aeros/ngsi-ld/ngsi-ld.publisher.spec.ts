import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import type { InfrastructureElement } from '@canopy/schema';
import { loadRootConfig } from '../../config/root-config';
import { FakeClock, ScriptedNgsiLdTransport, type ScriptedAnswer } from '../../../test/support/ngsi-ld-fakes';
import { OUTBOX_FILE } from './ngsi-ld-outbox.repository';
import { NgsiLdPublisher } from './ngsi-ld.publisher';
import type { NgsiLdRequest } from './ngsi-ld.transport';

/**
 * The delivery logic with a fake clock and a scripted transport (no sockets, no timers: the tests
 * call deliverDue() themselves). The outbox is the real SQLite file.
 */

const A = 'urn:ngsi-ld:Service:s:Component:a';
const B = 'urn:ngsi-ld:Service:s:Component:b';
const IE = 'urn:ngsi-ld:InfrastructureElement:d:n1';

interface LogLine {
  msg: string;
  [key: string]: unknown;
}

describe('NgsiLdPublisher delivery', () => {
  let dataDir: string;
  let clock: FakeClock;
  let lines: LogLine[];
  const open: NgsiLdPublisher[] = [];

  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'canopy-ngsi-unit-'));
    clock = new FakeClock();
    lines = [];
  });

  afterEach(async () => {
    await Promise.all(open.splice(0).map((p) => p.stop()));
    rmSync(dataDir, { recursive: true, force: true });
  });

  function make(
    answer?: (request: NgsiLdRequest, index: number) => ScriptedAnswer,
    env: NodeJS.ProcessEnv = {},
  ): { p: NgsiLdPublisher; transport: ScriptedNgsiLdTransport } {
    const config = loadRootConfig({
      ROOT_DATA_DIR: dataDir,
      CB_URL: 'http://orion-ld',
      NGSI_LD_RETRY_BASE_MS: '100',
      NGSI_LD_RETRY_MAX_MS: '800',
      NGSI_LD_IE_INTERVAL_MS: '1000',
      ...env,
    });
    const log = pino({ level: 'debug' }, { write: (line: string) => void lines.push(JSON.parse(line) as LogLine) });
    const transport = new ScriptedNgsiLdTransport(answer);
    const p = new NgsiLdPublisher(config, log, clock, transport);
    open.push(p);
    return { p, transport };
  }

  it("keeps one entity's updates in order while it is retried, and lets other entities through", async () => {
    // A's first try fails with 503; everything else succeeds.
    const { p, transport } = make((_, i) => (i === 0 ? 503 : 204));
    p.componentStatus(A, 'Starting', null);
    p.componentStatus(A, 'Running', IE);
    p.componentStatus(B, 'Starting', null);
    p.componentStatus(B, 'Running', IE);

    expect(await p.deliverDue()).toBe(1);
    expect(transport.trace()).toEqual([`PATCH ${A} Starting`]);
    clock.advance(100);
    await p.deliverDue();
    expect(transport.trace()).toEqual([
      `PATCH ${A} Starting`,
      `PATCH ${B} Starting`,
      `PATCH ${A} Starting`,
      `PATCH ${A} Running`,
      `PATCH ${B} Running`,
    ]);
    expect(p.pending()).toBe(0);
  });

  it('backs off 100, 200, 400, 800, 800 ms while the broker is unreachable, holding every entity', async () => {
    const { p, transport } = make(() => 'no-reply');
    p.componentStatus(A, 'Running', IE);
    expect(await p.deliverDue()).toBe(1);
    p.componentStatus(B, 'Running', IE);
    for (const delay of [100, 200, 400, 800, 800]) {
      clock.advance(delay - 1);
      expect(await p.deliverDue()).toBe(0);
      clock.advance(1);
      expect(await p.deliverDue()).toBe(1);
    }
    expect(transport.sent).toHaveLength(6);
    expect(p.pending()).toBe(2);
    const retries = lines.filter((l) => l.msg === 'ngsi-ld delivery failed; will retry');
    expect(retries.map((l) => l['delayMs'])).toEqual([100, 200, 400, 800, 800, 800]);
    expect(retries[0]).toMatchObject({ entityId: A, attempts: 1, reason: 'fetch failed: ECONNREFUSED' });
  });

  it('starts the backoff over once the broker answers again', async () => {
    let up = false;
    const { p } = make(() => (up ? 204 : 'no-reply'));
    p.componentStatus(A, 'Running', IE);
    await p.deliverDue();
    clock.advance(100);
    await p.deliverDue();
    up = true;
    clock.advance(200);
    await p.deliverDue();
    up = false;
    p.componentStatus(B, 'Running', IE);
    await p.deliverDue();
    const delays = lines.filter((l) => l.msg === 'ngsi-ld delivery failed; will retry').map((l) => l['delayMs']);
    expect(delays).toEqual([100, 200, 100]);
  });

  it('drops a 4xx after one try, logging the reply, but retries 408, 429 and 5xx', async () => {
    const statuses = new Map<string, ScriptedAnswer>([
      ['Starting', 400],
      ['Running', 429],
      ['Failed', 408],
      ['Removing', 500],
    ]);
    const seen = new Set<string>();
    // Each status fails once with its code, then succeeds.
    const { p, transport } = make((r) => {
      const status = (JSON.parse(r.body) as { serviceComponentStatus: { object: string } }).serviceComponentStatus
        .object;
      const first = !seen.has(status);
      seen.add(status);
      return first ? (statuses.get(status.split(':').pop()!) ?? 204) : 204;
    });
    for (const s of ['Starting', 'Running', 'Failed', 'Removing', 'Finished'] as const) {
      p.componentStatus(A, s, IE);
    }
    for (let i = 0; i < 10 && p.pending() > 0; i += 1) {
      await p.deliverDue();
      clock.advance(800);
    }
    expect(transport.trace()).toEqual(
      ['Starting', 'Running', 'Running', 'Failed', 'Failed', 'Removing', 'Removing', 'Finished'].map(
        (s) => `PATCH ${A} ${s}`,
      ),
    );
    const dropped = lines.filter((l) => l.msg === 'ngsi-ld update rejected by the broker; dropped');
    expect(dropped).toEqual([
      expect.objectContaining({ entityId: A, status: 400, reply: '{"detail":"scripted 400"}' }),
    ]);
  });

  it('creates an entity the broker does not know, and patches it normally afterwards', async () => {
    const { p, transport } = make((r, i) => (i === 0 ? 404 : r.method === 'POST' ? 201 : 204));
    p.componentStatus(A, 'Running', IE);
    p.componentStatus(A, 'Removing', IE);
    await p.deliverDue();
    expect(transport.trace()).toEqual([`PATCH ${A} Running`, `POST create ${A}`, `PATCH ${A} Removing`]);
    expect(JSON.parse(transport.sent[1]!.body)).toEqual({
      id: A,
      type: 'ServiceComponent',
      serviceComponentStatus: { type: 'Relationship', object: 'urn:ngsi-ld:ServiceComponentStatus:Running' },
      infrastructureElement: { type: 'Relationship', object: IE },
    });
    expect(transport.sent[1]!.path).toBe('/ngsi-ld/v1/entities');
    expect(p.pending()).toBe(0);
  });

  it('sends the PATCH again when the create meets 409, and retries it all when the create gets a 5xx', async () => {
    const answers: ScriptedAnswer[] = [404, 409, 204, 404, 503, 404, 201];
    const { p, transport } = make((_, i) => answers[i] ?? 204);
    p.componentStatus(A, 'Running', IE);
    p.componentStatus(B, 'Running', IE);
    await p.deliverDue();
    expect(transport.trace()).toEqual([
      `PATCH ${A} Running`,
      `POST create ${A}`,
      `PATCH ${A} Running`,
      `PATCH ${B} Running`,
      `POST create ${B}`,
    ]);
    expect(p.pending()).toBe(1);
    clock.advance(100);
    await p.deliverDue();
    expect(transport.trace().slice(5)).toEqual([`PATCH ${B} Running`, `POST create ${B}`]);
    expect(p.pending()).toBe(0);
  });

  it('leaves an update abandoned by stop() queued as it was, for the next start', async () => {
    const { p, transport } = make(() => 'hang');
    p.componentStatus(A, 'Running', IE);
    p.start();
    await transport.untilSent(1);
    await p.stop();
    expect(p.pending()).toBe(1);
    expect(lines.some((l) => l.msg === 'ngsi-ld delivery failed; will retry')).toBe(false);

    const next = make();
    expect(next.p.pending()).toBe(1);
    await next.p.deliverDue();
    expect(next.transport.trace()).toEqual([`PATCH ${A} Running`]);
    expect(next.p.pending()).toBe(0);
  });

  it('upserts IEs at most once per interval each, the latest snapshot replacing an unsent one', async () => {
    const ie = (id: string, cpu: number): InfrastructureElement => ({
      id,
      type: 'InfrastructureElement',
      hostname: id.split(':').pop()!,
      nodeId: 'n',
      domain: 'urn:ngsi-ld:Domain:d',
      containerTechnology: 'Docker',
      cpuCores: 2,
      currentCpuUsage: cpu,
      ramCapacity: 1000,
      availableRam: 500,
      currentRamUsage: 500,
      currentRamUsagePct: 50,
      cpuArchitecture: 'urn:ngsi-ld:CpuArchitecture:x64',
      operatingSystem: 'urn:ngsi-ld:OperatingSystem:Linux',
      realTimeCapable: false,
      infrastructureElementStatus: 'urn:ngsi-ld:InfrastructureElementStatus:Ready',
    });
    const IE2 = 'urn:ngsi-ld:InfrastructureElement:d:n2';
    const { p, transport } = make(undefined, { NGSI_LD_UPSERT_IES: 'true' });
    const cpuSent = (): unknown[] =>
      transport.sent.map(
        (r) => (JSON.parse(r.body) as { currentCpuUsage: { value: number } }[])[0]?.currentCpuUsage.value,
      );

    p.upsertInfrastructureElements([ie(IE, 1), ie(IE2, 1)]);
    await p.deliverDue();
    expect(transport.trace()).toEqual([`POST upsert ${IE}`, `POST upsert ${IE2}`]);
    expect(transport.sent[0]!.path).toBe('/ngsi-ld/v1/entityOperations/upsert?options=update');
    clock.advance(300);
    p.upsertInfrastructureElements([ie(IE, 2)]);
    p.upsertInfrastructureElements([ie(IE, 3)]);
    expect(p.pending()).toBe(1);
    clock.advance(699);
    expect(await p.deliverDue()).toBe(0);
    clock.advance(1);
    expect(await p.deliverDue()).toBe(1);
    expect(cpuSent()).toEqual([1, 1, 3]);
    // Statuses are never held back by an IE's rate limit.
    p.upsertInfrastructureElements([ie(IE, 4)]);
    p.componentStatus(A, 'Running', IE);
    expect(await p.deliverDue()).toBe(1);
    expect(transport.trace().at(-1)).toBe(`PATCH ${A} Running`);
  });

  it('upserts no IEs unless NGSI_LD_UPSERT_IES is true', async () => {
    const { p, transport } = make();
    p.upsertInfrastructureElements([{ id: IE } as InfrastructureElement]);
    expect(p.pending()).toBe(0);
    expect(await p.deliverDue()).toBe(0);
    expect(transport.sent).toEqual([]);
  });

  it('refuses an entity id that is not a URI at enqueue time, saying so', () => {
    const { p } = make();
    p.componentStatus('web-1', 'Running', IE);
    expect(p.pending()).toBe(0);
    expect(lines).toContainEqual(
      expect.objectContaining({ msg: 'ngsi-ld entity id is not a URI; update not queued', entityId: 'web-1' }),
    );
  });

  it('does nothing, and creates no file, when CB_URL is unset', async () => {
    const p = new NgsiLdPublisher(loadRootConfig({ ROOT_DATA_DIR: dataDir }), pino({ level: 'silent' }), clock);
    expect(p.enabled).toBe(false);
    p.start();
    p.componentStatus(A, 'Running', IE);
    expect(p.pending()).toBe(0);
    expect(await p.deliverDue()).toBe(0);
    await p.stop();
    expect(existsSync(join(dataDir, OUTBOX_FILE))).toBe(false);
  });
});
