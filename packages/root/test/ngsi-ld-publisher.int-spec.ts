import { statSync } from 'node:fs';
import { join } from 'node:path';
import { OUTBOX_FILE } from '../src/aeros/ngsi-ld/ngsi-ld-outbox.repository';
import { type ScriptedReply } from './support/ngsi-ld-test-broker';
import { waitFor } from '@canopy/testing';
import { publisherPerTest, IE, NULL, OUTAGE_MS, TOKEN, captureLog, delivered } from './support/ngsi-ld-publisher-stand';

/**
 * The publisher against a real HTTP endpoint. It is a checking stand-in, not Orion-LD: no NGSI-LD
 * broker can run on these machines (Orion-LD needs MongoDB, which cannot be installed here).
 */
describe('NGSI-LD publisher over HTTP', () => {
  const ctx = publisherPerTest();

  it('(a) sends Starting → Running → Removing → Finished in order, with the IE aerOS expects at each', async () => {
    const sc = 'urn:ngsi-ld:Service:demo:Component:web';
    ctx.broker.seed(sc);
    const { log } = captureLog();
    const core = 'https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context.jsonld';
    const p = ctx.publisher(log, { NGSI_LD_CONTEXT: core });
    p.componentStatus(sc, 'Starting', IE);
    p.componentStatus(sc, 'Running', IE);
    p.componentStatus(sc, 'Removing', IE);
    p.componentStatus(sc, 'Finished', IE);
    expect(p.pending()).toBe(4);
    p.start();

    await ctx.broker.waitFor('four updates', delivered(sc, 4));
    expect(ctx.broker.statusesOf(sc)).toEqual([
      { status: 'Starting', infrastructureElement: NULL, httpStatus: 204 },
      { status: 'Running', infrastructureElement: IE, httpStatus: 204 },
      { status: 'Removing', infrastructureElement: IE, httpStatus: 204 },
      { status: 'Finished', infrastructureElement: NULL, httpStatus: 204 },
    ]);
    expect(ctx.broker.violations).toEqual([]);
    expect(ctx.broker.requests[0]!.headers).toMatchObject({
      'content-type': 'application/json',
      aeros: 'true',
      authorization: `Bearer ${TOKEN}`,
      link: `<${core}>; rel="http://www.w3.org/ns/json-ld#context"; type="application/ld+json"`,
    });
    // The id travels URL-encoded; the broker's copy ends in the last state.
    expect(ctx.broker.requests[0]!.url).toBe(`/ngsi-ld/v1/entities/${encodeURIComponent(sc)}/attrs`);
    expect(ctx.broker.entities.get(sc)).toMatchObject({
      serviceComponentStatus: { type: 'Relationship', object: 'urn:ngsi-ld:ServiceComponentStatus:Finished' },
      infrastructureElement: { type: 'Relationship', object: NULL },
    });
    await waitFor('the outbox to empty', () => p.pending() === 0);
    // Data directory 0700, outbox 0600 (it names the domain's components).
    expect(statSync(ctx.dataDir).mode & 0o777).toBe(0o700);
    expect(statSync(join(ctx.dataDir, OUTBOX_FILE)).mode & 0o777).toBe(0o600);
  });

  it(`(b) loses nothing and keeps each entity's order through a ${OUTAGE_MS / 1000} s broker outage`, async () => {
    const ids = ['a', 'b', 'c'].map((x) => `urn:ngsi-ld:Service:outage:Component:${x}`);
    for (const id of ids) {
      ctx.broker.seed(id);
    }
    const { log, lines } = captureLog();
    const p = ctx.publisher(log);
    p.start();
    for (const id of ids) {
      p.componentStatus(id, 'Starting', null);
    }
    await ctx.broker.waitFor('the first round', (rs) => ids.every((id) => delivered(id, 1)(rs)));

    await ctx.broker.close();
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

    await ctx.broker.reopen();
    await ctx.broker.waitFor('every update after the outage', (rs) =>
      [delivered(a, 4), delivered(b, 4), delivered(c, 2)].every((f) => f(rs)),
    );
    const seen = (id: string): string[] => ctx.broker.statusesOf(id).map((s) => s.status);
    expect(seen(a)).toEqual(['Starting', 'Running', 'Removing', 'Finished']);
    expect(seen(b)).toEqual(['Starting', 'Running', 'Removing', 'Finished']);
    expect(seen(c)).toEqual(['Starting', 'Failed']);
    expect(ctx.broker.statusesOf(c)[1]).toMatchObject({ infrastructureElement: IE });
    expect(ctx.broker.violations).toEqual([]);
    await waitFor('the outbox to empty', () => p.pending() === 0);
  }, 90_000);

  it('retries a request the broker does not answer within NGSI_LD_TIMEOUT_MS, and one it answers 503', async () => {
    const sc = 'urn:ngsi-ld:Service:slow:Component:x';
    ctx.broker.seed(sc);
    const answers: ('hang' | ScriptedReply | undefined)[] = ['hang', { status: 503, body: { title: 'busy' } }];
    ctx.broker.script = () => answers.shift();
    const { log, lines } = captureLog();
    const p = ctx.publisher(log, { NGSI_LD_TIMEOUT_MS: '300' });
    p.componentStatus(sc, 'Running', IE);
    p.componentStatus(sc, 'Removing', IE);
    p.start();

    await ctx.broker.waitFor('both updates', delivered(sc, 2));
    expect(ctx.broker.statusesOf(sc).map((s) => [s.status, s.httpStatus])).toEqual([
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
    ctx.broker.seed(bad);
    ctx.broker.seed(good);
    ctx.broker.script = (r) =>
      r.entityIds.includes(bad)
        ? {
            status: 400,
            body: { type: 'https://uri.etsi.org/ngsi-ld/errors/BadRequestData', detail: 'refused on purpose' },
          }
        : undefined;
    const { log, lines } = captureLog();
    const p = ctx.publisher(log);
    p.componentStatus(bad, 'Starting', null);
    p.componentStatus(bad, 'Running', IE);
    p.componentStatus(good, 'Starting', null);
    p.componentStatus(good, 'Running', IE);
    p.start();

    await ctx.broker.waitFor('the good entity', delivered(good, 2));
    await waitFor('the outbox to empty', () => p.pending() === 0);
    // Each of the bad entity's updates was tried once, refused, and not retried.
    expect(ctx.broker.statusesOf(bad).map((s) => [s.status, s.httpStatus])).toEqual([
      ['Starting', 400],
      ['Running', 400],
    ]);
    expect(ctx.broker.statusesOf(good).map((s) => s.status)).toEqual(['Starting', 'Running']);
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
    ctx.broker.seed(sc);
    await ctx.broker.close();
    const first = captureLog();
    const p1 = ctx.publisher(first.log);
    p1.start();
    p1.componentStatus(sc, 'Starting', null);
    p1.componentStatus(sc, 'Running', IE);
    p1.componentStatus(sc, 'Failed', IE);
    await waitFor('a failed attempt', () => first.lines.some((l) => l.msg === 'ngsi-ld delivery failed; will retry'));
    await p1.stop();
    expect(p1.pending()).toBe(3);

    await ctx.broker.reopen();
    const p2 = ctx.publisher(captureLog().log);
    expect(p2.pending()).toBe(3);
    p2.start();
    await ctx.broker.waitFor('the queued updates', delivered(sc, 3));
    expect(ctx.broker.statusesOf(sc).map((s) => s.status)).toEqual(['Starting', 'Running', 'Failed']);
    await waitFor('the outbox to empty', () => p2.pending() === 0);
  });
});
