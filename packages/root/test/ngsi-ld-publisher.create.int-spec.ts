import type { InfrastructureElement } from '@canopy/schema';
import { waitFor } from '@canopy/testing';
import { publisherPerTest, IE, captureLog, delivered } from './support/ngsi-ld-publisher-stand';

/**
 * The publisher creating what the broker lacks, and upserting IEs, against a real HTTP endpoint.
 * It is a checking stand-in, not Orion-LD: no NGSI-LD broker can run on these machines (Orion-LD
 * needs MongoDB, which cannot be installed here).
 */
describe('NGSI-LD publisher over HTTP', () => {
  const ctx = publisherPerTest();

  it('(e) creates a component the broker does not know (404 on PATCH), then goes on patching it', async () => {
    const sc = 'urn:ngsi-ld:Service:llo:Component:made-by-kubectl';
    const p = ctx.publisher(captureLog().log);
    p.componentStatus(sc, 'Running', IE);
    p.componentStatus(sc, 'Removing', IE);
    p.start();

    await ctx.broker.waitFor('the second update', delivered(sc, 2));
    expect(ctx.broker.requests.map((r) => [r.method, r.status])).toEqual([
      ['PATCH', 404],
      ['POST', 201],
      ['PATCH', 204],
    ]);
    expect(ctx.broker.requests[1]!.body).toEqual({
      id: sc,
      type: 'ServiceComponent',
      serviceComponentStatus: { type: 'Relationship', object: 'urn:ngsi-ld:ServiceComponentStatus:Running' },
      infrastructureElement: { type: 'Relationship', object: IE },
    });
    expect(ctx.broker.entities.get(sc)).toMatchObject({
      type: 'ServiceComponent',
      serviceComponentStatus: { object: 'urn:ngsi-ld:ServiceComponentStatus:Removing' },
    });
    expect(ctx.broker.violations).toEqual([]);
  });

  it('(e) a 409 on that create means someone else made it: the PATCH is sent again', async () => {
    const sc = 'urn:ngsi-ld:Service:llo:Component:raced';
    // The HLO creates the entity between our PATCH and our POST.
    ctx.broker.script = (r) => {
      if (r.method !== 'POST') {
        return undefined;
      }
      ctx.broker.seed(sc);
      return { status: 409, body: { type: 'https://uri.etsi.org/ngsi-ld/errors/AlreadyExists' } };
    };
    const p = ctx.publisher(captureLog().log);
    p.componentStatus(sc, 'Running', IE);
    p.start();

    await ctx.broker.waitFor('the patch after the conflict', delivered(sc, 1));
    expect(ctx.broker.requests.map((r) => [r.method, r.status])).toEqual([
      ['PATCH', 404],
      ['POST', 409],
      ['PATCH', 204],
    ]);
    expect(ctx.broker.entities.get(sc)).toMatchObject({
      serviceComponentStatus: { object: expect.stringMatching(/Running$/) },
    });
  });

  it('upserts IEs as normalized NGSI-LD, at most once per interval each, latest values winning', async () => {
    const p = ctx.publisher(captureLog().log, { NGSI_LD_UPSERT_IES: 'true', NGSI_LD_IE_INTERVAL_MS: '400' });
    p.start();
    const ie = (cpu: number): InfrastructureElement => ({
      id: IE,
      type: 'InfrastructureElement',
      hostname: 'node-1',
      nodeId: 'n-1',
      domain: 'urn:ngsi-ld:Domain:canopy',
      containerTechnology: 'Docker',
      cpuCores: 2,
      currentCpuUsage: cpu,
      ramCapacity: 24_000,
      availableRam: 20_000,
      currentRamUsage: 4000,
      currentRamUsagePct: 17,
      cpuArchitecture: 'urn:ngsi-ld:CpuArchitecture:x64',
      operatingSystem: 'urn:ngsi-ld:OperatingSystem:Linux',
      realTimeCapable: false,
      infrastructureElementStatus: 'urn:ngsi-ld:InfrastructureElementStatus:Ready',
      location: { type: 'Point', coordinates: [13.4, 52.5] },
    });
    p.upsertInfrastructureElements([ie(10)]);
    await ctx.broker.waitFor('the first upsert', (rs) => rs.length === 1);
    const firstAt = Date.now();
    p.upsertInfrastructureElements([ie(20)]);
    p.upsertInfrastructureElements([ie(30)]);
    await ctx.broker.waitFor('the second upsert', (rs) => rs.length === 2);
    expect(Date.now() - firstAt).toBeGreaterThanOrEqual(300);
    expect(ctx.broker.requests.map((r) => r.url)).toEqual([
      '/ngsi-ld/v1/entityOperations/upsert?options=update',
      '/ngsi-ld/v1/entityOperations/upsert?options=update',
    ]);
    const [entity] = ctx.broker.requests[1]!.body as Record<string, unknown>[];
    expect(entity).toMatchObject({
      id: IE,
      type: 'InfrastructureElement',
      currentCpuUsage: { type: 'Property', value: 30 },
      domain: { type: 'Relationship', object: 'urn:ngsi-ld:Domain:canopy' },
      location: { type: 'GeoProperty', value: { type: 'Point', coordinates: [13.4, 52.5] } },
    });
    expect(entity).not.toHaveProperty('nodeId');
    expect(ctx.broker.violations).toEqual([]);
    await waitFor('the outbox to empty', () => p.pending() === 0);
  });
});
