import { keyValues } from '@canopy/schema';
import { allocationToCr, componentName, kindOfOrchestration, shortLabel } from './hlo-mapping';

describe('HLO allocation → CR', () => {
  it('derives one lowercase RFC 1123 name per component id', () => {
    expect(componentName('urn:ngsi-ld:Service:05:Component:01')).toBe('aeros-service-05-component-01');
    expect(componentName('urn:ngsi-ld:Service:A_b:Component:__x__')).toBe('aeros-service-a-b-component-x');
    expect(componentName(`urn:ngsi-ld:${'x'.repeat(400)}`)).toHaveLength(253);
    expect(shortLabel('urn:ngsi-ld:Service:05')).toBe('Service_05');
  });

  it('reads envVars and cliArgs as lists, single-entry objects or maps, in order', () => {
    expect(keyValues([{ key: '-f' }, { key: '-p', value: '80' }])).toEqual([{ key: '-f' }, { key: '-p', value: '80' }]);
    expect(keyValues({ A: '1', B: 2, C: '' })).toEqual([
      { key: 'A', value: '1' },
      { key: 'B', value: '2' },
      { key: 'C' },
    ]);
    expect(keyValues([{ A: '1' }, { B: true }])).toEqual([
      { key: 'A', value: '1' },
      { key: 'B', value: 'true' },
    ]);
    expect(keyValues(undefined)).toEqual([]);
    for (const bad of ['x', 3, [1], [{ a: 1, b: 2 }], { a: { nested: 1 } }, [{ key: '' }]]) {
      expect(keyValues(bad)).toBeUndefined();
    }
  });

  it('maps the orchestration type spellings', () => {
    expect(kindOfOrchestration('ServiceComponentDocker')).toBe('ServiceComponentDocker');
    expect(kindOfOrchestration('urn:ngsi-ld:OrchestrationType:Kubernetes')).toBe('ServiceComponentK8s');
    expect(kindOfOrchestration('lxc')).toBeUndefined();
  });

  it('builds the CR aerOS’s HLO would, with the exact id kept for NGSI-LD', () => {
    const cr = allocationToCr('urn:ngsi-ld:Service:1', 'urn:ngsi-ld:Service:1:Component:a', 'ServiceComponentDocker', {
      image: 'nginx',
      infrastructure_element: { id: 'urn:ngsi-ld:InfrastructureElement:D:n1', hostname: 'n1' },
      ports: [{ number: 80 }],
      orchestration_type: 'ServiceComponentDocker',
      exposePorts: true,
      isPrivate: true,
      repoUsername: 'u',
      repoPassword: 'p',
      envVars: { A: '1' },
    });
    expect(cr).toMatchObject({
      kind: 'ServiceComponentDocker',
      metadata: {
        name: 'aeros-service-1-component-a',
        labels: { 'app.kubernetes.io/part-of': 'Service_1', 'app.kubernetes.io/instance': 'Service_1_Component_a' },
        annotations: { 'canopy.io/ngsi-ld-id': 'urn:ngsi-ld:Service:1:Component:a' },
      },
      spec: {
        selectedIE: { id: 'urn:ngsi-ld:InfrastructureElement:D:n1', hostname: 'n1' },
        ports: [{ number: 80, protocol: 'TCP' }],
        envVars: [{ key: 'A', value: '1' }],
        imageRegistry: { username: 'u', password: 'p' },
      },
    });
  });
});
