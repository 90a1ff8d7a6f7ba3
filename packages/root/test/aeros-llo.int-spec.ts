import fc from 'fast-check';
import { stringify } from 'yaml';
import type { RootHandle } from '../src';
import { startHttpRoot, type TestRoot } from './support/http-root';

/** A valid CR but for the IE, which no cluster of this bare root knows. */
function cr(over: { [k: string]: unknown } = {}, spec: { [k: string]: unknown } = {}): Record<string, unknown> {
  return {
    apiVersion: 'llo.aeros-project.eu/v1alpha1',
    kind: 'ServiceComponentDocker',
    metadata: { name: 'service-1-component-1', labels: { 'app.kubernetes.io/part-of': 'Service_1' } },
    spec: {
      selectedIE: { id: 'urn:ngsi-ld:InfrastructureElement:D:nowhere', hostname: 'nowhere' },
      image: 'canopy-test/busybox:latest',
      ports: [{ number: 80, protocol: 'TCP' }],
      cliArgs: [{ key: '-f' }],
      envVars: [{ key: 'A', value: '1' }],
      ...spec,
    },
    ...over,
  };
}

const bomb = [
  'a: &a ["x","x","x","x","x","x","x","x","x"]',
  'b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]',
  'c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]',
  'd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]',
  'e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]',
  'f: [*e,*e,*e,*e,*e,*e,*e,*e,*e]',
].join('\n');

/** Each bad body, the media type it is sent with, and the field its 4xx must name. */
const CORPUS: { name: string; body: string; type?: string; status?: number; path: string }[] = [
  { name: 'wrong apiVersion', body: stringify(cr({ apiVersion: 'llo.aeros-project.eu/v1' })), path: 'apiVersion' },
  { name: 'an unknown group', body: stringify(cr({ apiVersion: 'apps/v1' })), path: 'apiVersion' },
  { name: 'unknown kind', body: stringify(cr({ kind: 'ServiceComponentContainerd' })), path: 'kind' },
  { name: 'missing image', body: stringify(cr({}, { image: undefined })), path: 'spec.image' },
  { name: 'empty image', body: stringify(cr({}, { image: '' })), path: 'spec.image' },
  { name: 'unknown IE', body: stringify(cr()), path: 'spec.selectedIE' },
  { name: 'selectedIE missing', body: stringify(cr({}, { selectedIE: undefined })), path: 'spec.selectedIE' },
  { name: 'selectedIE of the wrong type', body: stringify(cr({}, { selectedIE: 42 })), path: 'spec.selectedIE' },
  { name: 'port 0', body: stringify(cr({}, { ports: [{ number: 0 }] })), path: 'spec.ports[0].number' },
  {
    name: 'port 70000',
    body: stringify(cr({}, { ports: [{ number: 70000, protocol: 'TCP' }] })),
    path: 'spec.ports[0].number',
  },
  { name: 'port as text', body: stringify(cr({}, { ports: [{ number: 'eighty' }] })), path: 'spec.ports[0].number' },
  {
    name: 'bad protocol',
    body: stringify(cr({}, { ports: [{ number: 80, protocol: 'SCTP' }] })),
    path: 'spec.ports[0].protocol',
  },
  {
    name: 'name not RFC 1123',
    body: stringify(cr({ metadata: { name: 'Service_1.Component' } })),
    path: 'metadata.name',
  },
  { name: 'name missing', body: stringify(cr({ metadata: {} })), path: 'metadata.name' },
  { name: 'cliArg without key', body: stringify(cr({}, { cliArgs: [{ value: 'x' }] })), path: 'spec.cliArgs[0].key' },
  {
    name: 'envVar with a bad key',
    body: stringify(cr({}, { envVars: [{ key: '1=x', value: 'y' }] })),
    path: 'spec.envVars[0].key',
  },
  { name: 'isJob as text', body: stringify(cr({}, { isJob: 'yes' })), path: 'spec.isJob' },
  {
    name: 'labels not a map of strings',
    body: stringify(cr({ metadata: { name: 'a', labels: { x: 1 } } })),
    path: 'metadata.labels',
  },
  { name: 'a YAML alias bomb', body: bomb, path: '$' },
  { name: 'several YAML documents', body: `${stringify(cr())}---\n${stringify(cr())}`, path: '$' },
  { name: 'not YAML at all', body: 'spec: [unclosed\n  - : :', path: '$' },
  { name: 'a YAML scalar', body: 'just a string', path: '$' },
  { name: 'an empty body', body: '   ', path: '$' },
  { name: 'JSON where YAML is required', body: JSON.stringify(cr()), type: 'application/json', path: '$' },
  { name: 'no media type', body: stringify(cr()), type: 'text/plain', path: '$' },
  { name: 'an oversized body', body: `# ${'x'.repeat(70 * 1024)}\n${stringify(cr())}`, status: 413, path: '' },
];

describe('aerOS LLO API: bad input (real root over HTTP, no cluster)', () => {
  jest.setTimeout(120_000);
  let testRoot: TestRoot;
  let root: RootHandle;
  let token: string;

  async function post(body: string, type = 'application/yaml'): Promise<{ status: number; body: any }> {
    const res = await fetch(`${root.url}/v1/service-components`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': type },
      body,
    });
    const text = await res.text();
    return { status: res.status, body: text === '' ? undefined : (JSON.parse(text) as unknown) };
  }

  async function listed(type: string): Promise<unknown[]> {
    const res = await fetch(`${root.url}/v1/service-components?type=${type}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    return (await res.json()) as unknown[];
  }

  beforeAll(async () => {
    testRoot = await startHttpRoot({ ROOT_BODY_LIMIT: '64kb' });
    root = testRoot.root;
    token = (await testRoot.login('Admin', testRoot.adminPassword)).token;
  });

  afterAll(async () => {
    await testRoot.stop();
  });

  it.each(CORPUS)('refuses $name with a 4xx naming the field', async ({ body, type, status, path }) => {
    const res = await post(body, type);
    expect(res.status).toBe(status ?? 400);
    // Over the limit, the body parser refuses before any route runs: Canopy's error shape only.
    if (status === 413) {
      expect(res.body.code).toBe('PAYLOAD_TOO_LARGE');
    } else {
      expect(typeof res.body.error).toBe('string');
    }
    if (path !== '') {
      expect(res.body.errors.map((e: { path: string }) => e.path)).toContain(path);
    }
  });

  it('stored nothing from any of them', async () => {
    expect(await listed('docker')).toEqual([]);
    expect(await listed('k8s')).toEqual([]);
  });

  it('refuses the requests of a client with no token, and an unknown CR is a 404 with llo-api’s error', async () => {
    const anonymous = await fetch(`${root.url}/v1/service-components`);
    expect(anonymous.status).toBe(401);
    const missing = await fetch(`${root.url}/v1/service-components/nope?type=docker`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: string }).error).toContain('nope');
  });

  it('answers 2,000 generated bodies with a 4xx, never a 5xx', async () => {
    const value = fc.oneof(
      fc.jsonValue({ maxDepth: 3 }),
      fc.constantFrom(null, '', 0, -1, 65536, true, [], {}, 'x'.repeat(600), { id: 1 }),
    );
    const mutation = fc.record({
      path: fc.constantFrom(
        'apiVersion',
        'kind',
        'metadata',
        'metadata.name',
        'spec',
        'spec.selectedIE',
        'spec.image',
        'spec.ports',
        'spec.cliArgs',
        'spec.envVars',
        'spec.imageRegistry',
        'spec.exposePorts',
        'metadata.labels',
      ),
      value,
    });
    const mutatedCr = fc.array(mutation, { minLength: 1, maxLength: 3 }).map((edits) => {
      const doc = cr() as Record<string, any>;
      for (const { path, value: v } of edits) {
        const keys = path.split('.');
        const last = keys.pop() as string;
        let target = doc;
        for (const k of keys) {
          target = typeof target[k] === 'object' && target[k] !== null ? target[k] : (target[k] = {});
        }
        target[last] = v;
      }
      return stringify(doc);
    });
    const body = fc.oneof(
      { arbitrary: mutatedCr, weight: 6 },
      { arbitrary: fc.string({ maxLength: 200 }), weight: 2 },
      { arbitrary: fc.jsonValue({ maxDepth: 4 }).map((v) => stringify(v)), weight: 2 },
    );
    await fc.assert(
      fc.asyncProperty(body, async (text) => {
        const res = await post(text);
        expect(res.status).toBeGreaterThanOrEqual(400);
        expect(res.status).toBeLessThan(500);
      }),
      { numRuns: 2000 },
    );
    expect(await listed('docker')).toEqual([]);
  });
});
