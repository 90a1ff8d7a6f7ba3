import { validateInput } from '../validation/validate';
import { InstanceSpecDto } from '../wire/instance-spec.dto';
import { ClusterResourcesDto } from '../wire/cluster.dto';
import { parseGeoArea, parseLatLong, placementFiltersOf, requiredNodeLabels } from './placement-constraints';
import { SlaMicroservice } from './sla.dto';
import { microserviceToInstanceSpec } from './sla-to-spec';

const BASE = { microservice_name: 'web', microservice_namespace: 'test', virtualization: 'container', code: 'img' };

function errorsOf(fields: Record<string, unknown>): { path: string; message: string }[] {
  const result = validateInput(SlaMicroservice, { ...BASE, ...fields });
  return result.ok ? [] : result.errors;
}

describe('geo parsing', () => {
  it('reads "lat,long,radius_km"', () => {
    expect(parseGeoArea('48.137, 11.575, 25')).toEqual({ ok: true, area: { lat: 48.137, long: 11.575, radiusKm: 25 } });
  });

  it('reads Oakestra\'s "lat,long" with the radius in threshold, and a 3-part location wins', () => {
    expect(parseGeoArea('48.137,11.575', 40)).toEqual({ ok: true, area: { lat: 48.137, long: 11.575, radiusKm: 40 } });
    expect(parseGeoArea('48.137,11.575,5', 40)).toMatchObject({ area: { radiusKm: 5 } });
  });

  it('refuses a missing radius, out-of-range degrees, a zero radius and garbage, saying why', () => {
    expect(parseGeoArea('48.1,11.5')).toMatchObject({ ok: false, message: expect.stringContaining('needs a radius') });
    expect(parseGeoArea('91,11.5,10')).toMatchObject({ ok: false, message: expect.stringContaining('latitude') });
    expect(parseGeoArea('48,181,10')).toMatchObject({ ok: false, message: expect.stringContaining('longitude') });
    expect(parseGeoArea('48,11,0')).toMatchObject({ ok: false, message: expect.stringContaining('positive') });
    expect(parseGeoArea('munich')).toMatchObject({ ok: false });
    expect(parseGeoArea('1,2,3,4')).toMatchObject({ ok: false });
  });

  it('reads a cluster or node location, and not a place name', () => {
    expect(parseLatLong('-33.9, 151.2')).toEqual({ lat: -33.9, long: 151.2 });
    expect(parseLatLong('Munich')).toBeUndefined();
    expect(parseLatLong('100,0')).toBeUndefined();
    expect(parseLatLong(undefined)).toBeUndefined();
  });
});

describe('placementFiltersOf', () => {
  it('collects direct pins, arch, labels and the geo area from constraints and microservice fields', () => {
    expect(
      placementFiltersOf({
        arch: 'arm64',
        nodeLabels: { zone: 'a' },
        constraints: [
          { type: 'direct', cluster: 'edge-1', node: ' n1 ; n2;' },
          { type: 'DIRECT', node: 'n2;n3' },
          { type: 'geo', location: '48.1,11.5', threshold: 30 },
          { type: 'label', key: 'disk', value: 'ssd' },
          { type: 'latency', area: 'munich', threshold: 100 },
        ],
      }),
    ).toEqual({
      clusters: ['edge-1'],
      nodes: ['n1', 'n2', 'n3'],
      arch: 'arm64',
      labels: { zone: 'a', disk: 'ssd' },
      near: { lat: 48.1, long: 11.5, radiusKm: 30 },
    });
  });

  it('takes the arch from an arch constraint when the microservice names none, and is empty without filters', () => {
    expect(placementFiltersOf({ constraints: [{ type: 'arch', value: 'amd64' }] })).toEqual({ arch: 'amd64' });
    expect(placementFiltersOf({})).toEqual({});
  });

  it('turns the aerOS real-time flag into a required node label', () => {
    expect(requiredNodeLabels({ realtime: true, node_labels: { zone: 'b' } })).toEqual({ zone: 'b', realtime: 'true' });
    expect(requiredNodeLabels({ realtime: false })).toBeUndefined();
  });
});

describe('SLA placement fields: validation', () => {
  it('accepts the placement spellings', () => {
    expect(
      errorsOf({
        arch: 'arm64',
        node_labels: { zone: 'a', 'io.example/rack': '7' },
        realtime: true,
        placement_policy: 'traffic-most',
        constraints: [
          { type: 'geo', location: '48.1,11.5,10' },
          { type: 'geo', location: '48.1,11.5', threshold: 10 },
          { type: 'label', key: 'zone', value: 'a' },
          { type: 'arch', value: 'amd64' },
          { type: 'latency', area: 'munich', threshold: 100 },
          { type: 'direct', cluster: 'c', node: 'a;b' },
        ],
      }),
    ).toEqual([]);
  });

  it('names the field of each bad placement value', () => {
    const errors = errorsOf({
      arch: 'arm 64',
      node_labels: { zone: 5 },
      realtime: 'yes',
      placementPolicy: 'random-fit',
      constraints: [
        { type: 'geo', location: '48.1,11.5' },
        { type: 'geo' },
        { type: 'label', value: 'a' },
        { type: 'arch' },
      ],
    });
    const paths = errors.map((e) => e.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        'arch',
        'node_labels',
        'realtime',
        'placementPolicy',
        'constraints[0].location',
        'constraints[1].location',
        'constraints[2].key',
        'constraints[3].value',
      ]),
    );
    expect(errors.find((e) => e.path === 'constraints[0].location')?.message).toContain('needs a radius');
    expect(errors.find((e) => e.path === 'node_labels')?.message).toContain('"zone"');
  });
});

describe('what the instance spec carries for the cluster', () => {
  it('carries arch and required node labels, and they pass the wire validation', () => {
    const ms = validateInput(SlaMicroservice, { ...BASE, arch: 'amd64', node_labels: { zone: 'a' }, realtime: true });
    if (!ms.ok) {
      throw new Error(JSON.stringify(ms.errors));
    }
    const spec = microserviceToInstanceSpec(ms.value, { serviceId: 's', instanceNumber: 0, generation: 1 }, 'a.b.c.d');
    expect(spec).toMatchObject({ arch: 'amd64', nodeLabels: { zone: 'a', realtime: 'true' } });
    const wire = validateInput(InstanceSpecDto, JSON.parse(JSON.stringify(spec)));
    expect(wire.ok && wire.value.nodeLabels).toEqual({ zone: 'a', realtime: 'true' });
  });
});

describe('ClusterResourcesDto.largestNodeFreeByArch', () => {
  const base = {
    nodes: 1,
    activeNodes: 1,
    cpuMillisTotal: 2000,
    cpuMillisFree: 2000,
    memoryMbTotal: 1024,
    memoryMbFree: 1024,
    gpusFree: 0,
    largestNodeFree: { cpuMillis: 2000, memoryMb: 1024, gpus: 0 },
    architectures: ['amd64'],
  };

  it('is optional and keeps its entries', () => {
    expect(validateInput(ClusterResourcesDto, base).ok).toBe(true);
    const byArch = { amd64: { cpuMillis: 2000, memoryMb: 1024, gpus: 0 } };
    const result = validateInput(ClusterResourcesDto, { ...base, largestNodeFreeByArch: byArch });
    expect(result.ok && result.value.largestNodeFreeByArch).toEqual(byArch);
  });

  it('refuses negative or missing amounts', () => {
    for (const bad of [{ amd64: { cpuMillis: -1, memoryMb: 0, gpus: 0 } }, { amd64: { cpuMillis: 1 } }, []]) {
      const result = validateInput(ClusterResourcesDto, { ...base, largestNodeFreeByArch: bad });
      expect(result.ok ? [] : result.errors.map((e) => e.path)).toEqual(['largestNodeFreeByArch']);
    }
  });
});
