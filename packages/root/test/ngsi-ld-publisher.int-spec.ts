import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Logger } from 'pino';
import { OUTBOX_FILE } from '../src/aeros/ngsi-ld/ngsi-ld-outbox.repository';
import { NgsiLdPublisher } from '../src/aeros/ngsi-ld/ngsi-ld.publisher';
import { NgsiLdTestBroker, type ScriptedReply } from './support/ngsi-ld-test-broker';
import { waitFor } from '@canopy/testing';
import { IE, NULL, OUTAGE_MS, TOKEN, captureLog, delivered, testPublisher } from './support/ngsi-ld-publisher-stand';

/**
 * The publisher against a real HTTP endpoint. It is a checking stand-in, not Orion-LD: no NGSI-LD
 * broker can run on these machines (Orion-LD needs MongoDB, which cannot be installed here).
 */
describe('NGSI-LD publisher over HTTP', () => {
  let dataDir: string;
  let broker: NgsiLdTestBroker;
  const publishers: NgsiLdPublisher[] = [];

  function publisher(log: Logger, env: NodeJS.ProcessEnv = {}): NgsiLdPublisher {
    const p = testPublisher(dataDir, broker.port, log, env);
    publishers.push(p);
    return p;
  }

  beforeEach(async () => {
    dataDir = join(mkdtempSync(join(tmpdir(), 'canopy-ngsi-')), 'root');
    broker = await NgsiLdTestBroker.start();
    broker.expectToken = TOKEN;
  });

  afterEach(async () => {
    await Promise.all(publishers.splice(0).map((p) => p.stop()));
    await broker.close();
    rmSync(join(dataDir, '..'), { recursive: true, force: true });
  });

  it('(a) sends Starting → Running → Removing → Finished in order, with the IE aerOS expects at each', async () => {
    const sc = 'urn:ngsi-ld:Service:demo:Component:web';
    broker.seed(sc);
    const { log } = captureLog();
    const core = 'https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context.jsonld';
    const p = publisher(log, { NGSI_LD_CONTEXT: core });
    p.componentStatus(sc, 'Starting', IE);
    p.componentStatus(sc, 'Running', IE);
    p.componentStatus(sc, 'Removing', IE);
    p.componentStatus(sc, 'Finished', IE);
    expect(p.pending()).toBe(4);
    p.start();

    await broker.waitFor('four updates', delivered(sc, 4));
    expect(broker.statusesOf(sc)).toEqual([
      { status: 'Starting', infrastructureElement: NULL, httpStatus: 204 },
      { status: 'Running', infrastructureElement: IE, httpStatus: 204 },
      { status: 'Removing', infrastructureElement: IE, httpStatus: 204 },
      { status: 'Finished', infrastructureElement: NULL, httpStatus: 204 },
    ]);
    expect(broker.violations).toEqual([]);
    expect(broker.requests[0]!.headers).toMatchObject({
      'content-type': 'application/json',
      aeros: 'true',
      authorization: `Bearer ${TOKEN}`,
      link: `<${core}>; rel="http://www.w3.org/ns/json-ld#context"; type="application/ld+json"`,
    });
    // The id travels URL-encoded; the broker's copy ends in the last state.
    expect(broker.requests[0]!.url).toBe(`/ngsi-ld/v1/entities/${encodeURIComponent(sc)}/attrs`);
    expect(broker.entities.get(sc)).toMatchObject({
      serviceComponentStatus: { type: 'Relationship', object: 'urn:ngsi-ld:ServiceComponentStatus:Finished' },
      infrastructureElement: { type: 'Relationship', object: NULL },
    });
    await waitFor('the outbox to empty', () => p.pending() === 0);
    // Data directory 0700, outbox 0600 (it names the domain's components).
    expect(statSync(dataDir).mode & 0o777).toBe(0o700);
    expect(statSync(join(dataDir, OUTBOX_FILE)).mode & 0o777).toBe(0o600);
  });

  it(`(b) loses nothing and keeps each entity's order through a ${OUTAGE_MS / 1000} s broker outage`, async () => {
    const ids = ['a', 'b', 'c'].map((x) => `urn:ngsi-ld:Service:outage:Component:${x}`);
    for (const id of ids) {
      broker.seed(id);
    }
    const { log, lines } = captureLog();
    const p = publisher(log);
    p.start();
    for (const id of ids) {
      p.componentStatus(id, 'Starting', null);
    }
    await broker.waitFor('the first round', (rs) => ids.every((id) => delivered(id, 1)(rs)));

    await broker.close();
    const retries = (): number => lines.filter((l) => l.msg === 'ngsi-ld delivery failed; will retry').length;
    const [a, b, c] = ids as [string, string, string];
    p.componentStatus(a, 'Running', IE);
    p.componentStatus(b, 'Running', IE);
    p.componentStatus(a, 'Removing', IE);
    // The broker is really gone: connections are refused and the publisher keeps retrying.
    await waitFor('refused connections', () => lines.some((l) => /ECONNREFUSED/.test(String(l['reason']))));
    await waitFor('retries against the closed port', () => retries() >= 3);
    p.componentStatus(c, 'Failed', IE);
    p.componentStatus(b, 'Removing', IE);
    p.componentStatus(a, 'Finished', IE);
    p.componentStatus(b, 'Finished', IE);
    // The outage itself is what this test is about, so it lasts its full length.
    await new Promise((r) => setTimeout(r, OUTAGE_MS));
    expect(p.pending()).toBe(7);
    const retriesDuringOutage = retries();
    // Backoff capped at 400 ms: steady retrying, but far fewer tries than a busy loop would make.
    expect(retriesDuringOutage).toBeGreaterThan(OUTAGE_MS / 400 / 2);
    expect(retriesDuringOutage).toBeLessThan(OUTAGE_MS / 50);

    await broker.reopen();
    await broker.waitFor('every update after the outage', (rs) =>
      [delivered(a, 4), delivered(b, 4), delivered(c, 2)].every((f) => f(rs)),
    );
    const seen = (id: string): string[] => broker.statusesOf(id).map((s) => s.status);
    expect(seen(a)).toEqual(['Starting', 'Running', 'Removing', 'Finished']);
    expect(seen(b)).toEqual(['Starting', 'Running', 'Removing', 'Finished']);
    expect(seen(c)).toEqual(['Starting', 'Failed']);
    expect(broker.statusesOf(c)[1]).toMatchObject({ infrastructureElement: IE });
    expect(broker.violations).toEqual([]);
    await waitFor('the outbox to empty', () => p.pending() === 0);
  }, 90_000);

  it('retries a request the broker does not answer within NGSI_LD_TIMEOUT_MS, and one it answers 503', async () => {
    const sc = 'urn:ngsi-ld:Service:slow:Component:x';
    broker.seed(sc);
    const answers: ('hang' | ScriptedReply | undefined)[] = ['hang', { status: 503, body: { title: 'busy' } }];
    broker.script = () => answers.shift();
    const { log, lines } = captureLog();
    const p = publisher(log, { NGSI_LD_TIMEOUT_MS: '300' });
    p.componentStatus(sc, 'Running', IE);
    p.componentStatus(sc, 'Removing', IE);
    p.start();

    await broker.waitFor('both updates', delivered(sc, 2));
    expect(broker.statusesOf(sc).map((s) => [s.status, s.httpStatus])).toEqual([
      ['Running', 0],
      ['Running', 503],
      ['Running', 204],
      ['Removing', 204],
    ]);
    const reasons = lines.filter((l) => l.msg === 'ngsi-ld delivery failed; will retry').map((l) => l['reason']);
    expect(reasons).toEqual([expect.stringMatching(/timed out/), expect.stringContaining('busy')]);
  });

  it('(c) logs a 400 with the reply and drops it; other entities keep flowing', async () => {
    const bad = 'urn:ngsi-ld:Service:x:Component:rejected';
    const good = 'urn:ngsi-ld:Service:x:Component:fine';
    broker.seed(bad);
    broker.seed(good);
    broker.script = (r) =>
      r.entityIds.includes(bad)
        ? {
            status: 400,
            body: { type: 'https://uri.etsi.org/ngsi-ld/errors/BadRequestData', detail: 'refused on purpose' },
          }
        : undefined;
    const { log, lines } = captureLog();
    const p = publisher(log);
    p.componentStatus(bad, 'Starting', null);
    p.componentStatus(bad, 'Running', IE);
    p.componentStatus(good, 'Starting', null);
    p.componentStatus(good, 'Running', IE);
    p.start();

    await broker.waitFor('the good entity', delivered(good, 2));
    await waitFor('the outbox to empty', () => p.pending() === 0);
    // Each of the bad entity's updates was tried once, refused, and not retried.
    expect(broker.statusesOf(bad).map((s) => [s.status, s.httpStatus])).toEqual([
      ['Starting', 400],
      ['Running', 400],
    ]);
    expect(broker.statusesOf(good).map((s) => s.status)).toEqual(['Starting', 'Running']);
    const rejected = lines.filter((l) => l.msg === 'ngsi-ld update rejected by the broker; dropped');
    expect(rejected).toHaveLength(2);
    expect(rejected[0]).toMatchObject({ entityId: bad, status: 400, method: 'PATCH', level: 50 });
    expect(rejected[0]!['reply']).toContain('refused on purpose');
    expect(lines.some((l) => l.msg === 'ngsi-ld delivery failed; will retry')).toBe(false);
    // The bearer token never reaches the logs.
    expect(JSON.stringify(lines)).not.toContain(TOKEN);
  });

  it('(d) updates queued before a stop are delivered by the next publisher on the same data directory', async () => {
    const sc = 'urn:ngsi-ld:Service:durable:Component:db';
    broker.seed(sc);
    await broker.close();
    const first = captureLog();
    const p1 = publisher(first.log);
    p1.start();
    p1.componentStatus(sc, 'Starting', null);
    p1.componentStatus(sc, 'Running', IE);
    p1.componentStatus(sc, 'Failed', IE);
    await waitFor('a failed attempt', () => first.lines.some((l) => l.msg === 'ngsi-ld delivery failed; will retry'));
    await p1.stop();
    expect(p1.pending()).toBe(3);

    await broker.reopen();
    const p2 = publisher(captureLog().log);
    expect(p2.pending()).toBe(3);
    p2.start();
    await broker.waitFor('the queued updates', delivered(sc, 3));
    expect(broker.statusesOf(sc).map((s) => s.status)).toEqual(['Starting', 'Running', 'Failed']);
    await waitFor('the outbox to empty', () => p2.pending() === 0);
  });
});
