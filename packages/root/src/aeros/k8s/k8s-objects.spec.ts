import type { ComponentObject } from '../components.port';
import {
  aerosResourceList,
  apiGroupList,
  componentList,
  componentTable,
  coreResourceList,
  humanDuration,
  matchesSelectors,
  SelectorError,
  wantsTable,
} from './k8s-objects';
import { OPENAPI_V2_PROTOBUF, openApiV2Protobuf, openApiV3GroupVersion, openApiV3Root } from './k8s-openapi';

function component(name: string, labels: Record<string, string> = {}): ComponentObject {
  return {
    apiVersion: 'llo.aeros-project.eu/v1alpha1',
    kind: 'ServiceComponentDocker',
    metadata: {
      name,
      namespace: 'default',
      uid: 'u',
      resourceVersion: name.length.toString(),
      generation: 1,
      creationTimestamp: '2026-01-01T00:00:00Z',
      labels,
    },
    spec: { selectedIE: 'urn:ngsi-ld:InfrastructureElement:d:n1', image: 'nginx' },
    status: {
      serviceComponentStatus: 'Running',
      infrastructureElement: null,
      hostname: null,
      canopyStatus: 'RUNNING',
      detail: '',
      serviceId: 's',
      applicationId: 'a',
      hostPorts: [],
      observedGeneration: 1,
    },
  };
}

describe('discovery documents', () => {
  it('lists the aerOS group with its one preferred version', () => {
    expect(apiGroupList()).toEqual({
      kind: 'APIGroupList',
      apiVersion: 'v1',
      groups: [
        {
          name: 'llo.aeros-project.eu',
          versions: [{ groupVersion: 'llo.aeros-project.eu/v1alpha1', version: 'v1alpha1' }],
          preferredVersion: { groupVersion: 'llo.aeros-project.eu/v1alpha1', version: 'v1alpha1' },
        },
      ],
    });
  });

  it('names both kinds as namespaced resources with kubectl’s verbs and short names', () => {
    const list = aerosResourceList() as { groupVersion: string; resources: any[] };
    expect(list.groupVersion).toBe('llo.aeros-project.eu/v1alpha1');
    expect(list.resources.map((r) => [r.name, r.singularName, r.kind, r.namespaced, r.shortNames])).toEqual([
      ['servicecomponentdockers', 'servicecomponentdocker', 'ServiceComponentDocker', true, ['scd']],
      ['servicecomponentk8s', 'servicecomponentk8s', 'ServiceComponentK8s', true, ['sck']],
    ]);
    for (const r of list.resources) {
      expect(r.verbs).toEqual(expect.arrayContaining(['get', 'list', 'create', 'update', 'patch', 'delete', 'watch']));
    }
  });

  it('serves the core resources kubectl reads around a CR', () => {
    expect((coreResourceList() as { resources: { name: string }[] }).resources.map((r) => r.name)).toEqual([
      'namespaces',
      'events',
    ]);
  });
});

describe('OpenAPI', () => {
  it('v2 is a gnostic Document in protobuf: swagger "2.0" and an info message', () => {
    const bytes = openApiV2Protobuf();
    // field 1 (swagger), wire type 2, length 3, "2.0"
    expect([...bytes.subarray(0, 5)]).toEqual([0x0a, 0x03, 0x32, 0x2e, 0x30]);
    // field 2 (info), wire type 2, then exactly the rest of the buffer
    expect(bytes[5]).toBe(0x12);
    expect(bytes[6]).toBe(bytes.length - 7);
    expect(bytes.subarray(7).toString('utf8')).toContain('Canopy');
    // Go's mime parser refuses `@`, which kubectl's Accept spelling has.
    expect(OPENAPI_V2_PROTOBUF).not.toContain('@');
  });

  it('v3 points at the group-version document under /openapi/v3 and declares no strategic merge', () => {
    const root = openApiV3Root() as { paths: Record<string, { serverRelativeURL: string }> };
    expect(root.paths['apis/llo.aeros-project.eu/v1alpha1']?.serverRelativeURL).toMatch(
      /^\/openapi\/v3\/apis\/llo\.aeros-project\.eu\/v1alpha1\?hash=[0-9A-F]+$/,
    );
    const gv = openApiV3GroupVersion() as { paths: Record<string, any>; components: { schemas: Record<string, any> } };
    const one = gv.paths['/apis/llo.aeros-project.eu/v1alpha1/namespaces/{namespace}/servicecomponentdockers/{name}'];
    expect(Object.keys(one.patch.requestBody.content)).not.toContain('application/strategic-merge-patch+json');
    expect(one.patch['x-kubernetes-group-version-kind']).toEqual({
      group: 'llo.aeros-project.eu',
      version: 'v1alpha1',
      kind: 'ServiceComponentDocker',
    });
    expect(gv.components.schemas['eu.aeros-project.llo.v1alpha1.ServiceComponentK8s'].properties.spec.required).toEqual(
      ['image'],
    );
  });
});

describe('lists and tables', () => {
  it('wraps items in a <Kind>List whose resourceVersion is the time of the read', () => {
    const before = Date.now();
    const list = componentList('ServiceComponentDocker', [component('a'), component('abc')]) as {
      kind: string;
      metadata: { resourceVersion: string };
    };
    expect(list.kind).toBe('ServiceComponentDockerList');
    expect(Number(list.metadata.resourceVersion)).toBeGreaterThanOrEqual(before);
    expect(Number(list.metadata.resourceVersion)).toBeLessThanOrEqual(Date.now());
    expect(componentList('ServiceComponentK8s', [])).toMatchObject({ items: [] });
  });

  it('recognises kubectl’s Table Accept header', () => {
    expect(
      wantsTable(
        'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json',
      ),
    ).toBe(true);
    expect(wantsTable('application/json')).toBe(false);
    expect(wantsTable(undefined)).toBe(false);
  });

  it('prints name, IE (from the spec until the status knows), image, status and age', () => {
    const t = componentTable([component('web')], Date.parse('2026-01-01T00:05:30Z')) as { rows: { cells: string[] }[] };
    expect(t.rows[0]?.cells.slice(0, 5)).toEqual([
      'web',
      'urn:ngsi-ld:InfrastructureElement:d:n1',
      'nginx',
      'Running',
      '5m30s',
    ]);
  });

  it.each([
    [0, '0s'],
    [119_000, '119s'],
    [120_000, '2m'],
    [330_000, '5m30s'],
    [3_600_000, '60m'],
    [4 * 3_600_000 + 60_000, '4h1m'],
    [30 * 3_600_000, '30h'],
    [3 * 86_400_000, '3d'],
    [3 * 86_400_000 + 3_600_000, '3d1h'],
    [40 * 86_400_000, '40d'],
    [3 * 365 * 86_400_000, '3y'],
    [-5000, '<invalid>'],
  ])('humanDuration(%d) = %s', (ms, text) => {
    expect(humanDuration(ms)).toBe(text);
  });
});

describe('selectors', () => {
  const web = component('web', { tier: 'web', team: 'a' });
  it.each([
    ['metadata.name=web', undefined, true],
    ['metadata.name==db', undefined, false],
    ['metadata.name!=db', undefined, true],
    ['metadata.namespace=default', undefined, true],
    [undefined, 'tier=web', true],
    [undefined, 'tier=web,team=b', false],
    [undefined, 'tier', true],
    [undefined, '!tier', false],
    [undefined, 'tier!=db', true],
    [undefined, '', true],
  ])('field %p label %p → %p', (field, label, expected) => {
    expect(matchesSelectors(web, field, label)).toBe(expected);
  });

  it('refuses a term it cannot read', () => {
    expect(() => matchesSelectors(web, undefined, '=web')).toThrow(SelectorError);
  });
});
