import type { InfrastructureElement } from '@canopy/schema';
import { componentStatusAttrs, infrastructureElementEntity, isEntityId, NGSI_LD_NULL } from './ngsi-ld.shapes';

const IE = 'urn:ngsi-ld:InfrastructureElement:d:n1';

describe('NGSI-LD shapes', () => {
  it.each([
    ['Starting', NGSI_LD_NULL],
    ['Running', IE],
    ['Failed', IE],
    ['Removing', IE],
    ['Finished', NGSI_LD_NULL],
  ] as const)('%s names infrastructureElement %s', (status, ie) => {
    expect(componentStatusAttrs(status, IE)).toEqual({
      serviceComponentStatus: { type: 'Relationship', object: `urn:ngsi-ld:ServiceComponentStatus:${status}` },
      infrastructureElement: { type: 'Relationship', object: ie },
    });
  });

  it('sends urn:ngsi-ld:null for a component that never got an IE', () => {
    for (const status of ['Running', 'Failed', 'Removing'] as const) {
      expect(componentStatusAttrs(status, null).infrastructureElement.object).toBe(NGSI_LD_NULL);
    }
  });

  it('accepts URIs as entity ids and nothing else', () => {
    expect(isEntityId('urn:ngsi-ld:Service:x:Component:y')).toBe(true);
    expect(isEntityId('https://example.org/things/1')).toBe(true);
    for (const bad of ['web', '', ':x', 'urn:', 'urn:has space']) {
      expect(isEntityId(bad)).toBe(false);
    }
  });

  it('normalizes an IE: URN-valued attributes as Relationships, location as a GeoProperty, no Canopy fields', () => {
    const ie: InfrastructureElement = {
      id: IE,
      type: 'InfrastructureElement',
      hostname: 'n1',
      nodeId: 'abc',
      domain: 'urn:ngsi-ld:Domain:d',
      containerTechnology: 'Docker',
      cpuCores: 4,
      currentCpuUsage: 12,
      ramCapacity: 8000,
      availableRam: 6000,
      currentRamUsage: 2000,
      currentRamUsagePct: 25,
      cpuArchitecture: 'urn:ngsi-ld:CpuArchitecture:arm64',
      operatingSystem: 'urn:ngsi-ld:OperatingSystem:Linux',
      realTimeCapable: true,
      infrastructureElementStatus: 'urn:ngsi-ld:InfrastructureElementStatus:Ready',
      location: { type: 'Point', coordinates: [2.1, 41.4] },
      internalIpAddress: '10.0.0.5',
    };
    expect(infrastructureElementEntity(ie)).toEqual({
      id: IE,
      type: 'InfrastructureElement',
      hostname: { type: 'Property', value: 'n1' },
      domain: { type: 'Relationship', object: 'urn:ngsi-ld:Domain:d' },
      containerTechnology: { type: 'Property', value: 'Docker' },
      cpuCores: { type: 'Property', value: 4 },
      currentCpuUsage: { type: 'Property', value: 12 },
      ramCapacity: { type: 'Property', value: 8000 },
      availableRam: { type: 'Property', value: 6000 },
      currentRamUsage: { type: 'Property', value: 2000 },
      currentRamUsagePct: { type: 'Property', value: 25 },
      cpuArchitecture: { type: 'Relationship', object: 'urn:ngsi-ld:CpuArchitecture:arm64' },
      operatingSystem: { type: 'Relationship', object: 'urn:ngsi-ld:OperatingSystem:Linux' },
      realTimeCapable: { type: 'Property', value: true },
      infrastructureElementStatus: { type: 'Relationship', object: 'urn:ngsi-ld:InfrastructureElementStatus:Ready' },
      location: { type: 'GeoProperty', value: { type: 'Point', coordinates: [2.1, 41.4] } },
      internalIpAddress: { type: 'Property', value: '10.0.0.5' },
    });
  });
});
