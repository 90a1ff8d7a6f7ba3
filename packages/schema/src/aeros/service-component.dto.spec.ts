import { validateInput } from '../validation/validate';
import { AEROS_API_VERSION, AerosServiceComponent } from './service-component.dto';

/** A CR as an aerOS client posts it (after YAML parsing). */
function cr(
  overrides: { spec?: Record<string, unknown>; metadata?: Record<string, unknown> } & Record<string, unknown> = {},
) {
  const { spec, metadata, ...top } = overrides;
  return {
    apiVersion: AEROS_API_VERSION,
    kind: 'ServiceComponentDocker',
    metadata: { name: 'nginx-web', labels: { 'app.kubernetes.io/part-of': 'demo' }, ...metadata },
    spec: {
      selectedIE: 'worker1',
      image: 'docker.io/library/nginx:latest',
      ports: [{ number: 80, protocol: 'TCP' }],
      cliArgs: [{ key: '--port', value: '80' }, { key: '--verbose' }],
      envVars: [{ key: 'MODE', value: 'demo' }],
      exposePorts: true,
      isJob: false,
      privileged: false,
      imageRegistry: { url: 'registry.example.org', username: 'u', password: 'p' },
      ...spec,
    },
    ...top,
  };
}

function paths(input: unknown): string[] {
  const result = validateInput(AerosServiceComponent, input);
  return result.ok ? [] : result.errors.map((e) => e.path);
}

describe('aerOS ServiceComponent CR validation', () => {
  it('accepts a complete Docker CR and a K8s CR', () => {
    expect(paths(cr())).toEqual([]);
    expect(paths(cr({ kind: 'ServiceComponentK8s' }))).toEqual([]);
  });

  it('accepts a minimal CR: name and image', () => {
    const minimal = {
      apiVersion: AEROS_API_VERSION,
      kind: 'ServiceComponentDocker',
      metadata: { name: 'a' },
      spec: { image: 'busybox' },
    };
    expect(paths(minimal)).toEqual([]);
  });

  it('accepts selectedIE as a string and as {id, hostname}', () => {
    expect(paths(cr({ spec: { selectedIE: 'worker1' } }))).toEqual([]);
    expect(
      paths(cr({ spec: { selectedIE: { id: 'urn:ngsi-ld:InfrastructureElement:1', hostname: 'worker1' } } })),
    ).toEqual([]);
  });

  it.each([
    ['an empty string', ''],
    ['a number', 7],
    ['an object without hostname', { id: 'ie1' }],
    ['an object with a numeric hostname', { id: 'ie1', hostname: 1 }],
    ['an object naming no node at all', { id: '', hostname: '' }],
    ['an array', ['worker1']],
  ])('rejects selectedIE given as %s', (_label, selectedIE) => {
    expect(paths(cr({ spec: { selectedIE } }))).toEqual(['spec.selectedIE']);
  });

  it.each(['v1', 'llo.aeros-project.eu/v1', 'apps/v1'])('rejects apiVersion %p', (apiVersion) => {
    expect(paths(cr({ apiVersion }))).toEqual(['apiVersion']);
  });

  it.each(['Deployment', 'ServiceComponent', 'servicecomponentdocker'])('rejects kind %p', (kind) => {
    expect(paths(cr({ kind }))).toEqual(['kind']);
  });

  it.each(['Nginx', 'nginx_web', '-nginx', 'nginx-', 'nginx..web', '.nginx', '', 'a'.repeat(254)])(
    'rejects metadata.name %p',
    (name) => {
      expect(paths(cr({ metadata: { name } }))).toEqual(['metadata.name']);
    },
  );

  it('rejects a CR without metadata or spec instead of failing later', () => {
    const { metadata: _m, ...noMetadata } = cr();
    const { spec: _s, ...noSpec } = cr();
    expect(paths(noMetadata)).toEqual(['metadata']);
    expect(paths(noSpec)).toEqual(['spec']);
    expect(paths({ ...noSpec, spec: [] })).toEqual(['spec']);
    expect(paths({ ...noMetadata, metadata: 'nginx' })).toEqual(['metadata']);
  });

  it('names bad fields inside the spec', () => {
    expect(paths(cr({ spec: { image: '' } }))).toEqual(['spec.image']);
    expect(paths(cr({ spec: { ports: [{ number: 70000 }] } }))).toEqual(['spec.ports[0].number']);
    expect(paths(cr({ spec: { ports: [{ number: 80, protocol: 'SCTP' }] } }))).toEqual(['spec.ports[0].protocol']);
    expect(paths(cr({ spec: { cliArgs: [{ key: '' }] } }))).toEqual(['spec.cliArgs[0].key']);
    expect(paths(cr({ spec: { envVars: [{ key: 'A B', value: 'x' }] } }))).toEqual(['spec.envVars[0].key']);
    expect(paths(cr({ spec: { envVars: [{ key: 'PORT', value: 80 }] } }))).toEqual(['spec.envVars[0].value']);
    expect(paths(cr({ spec: { isJob: 'yes' } }))).toEqual(['spec.isJob']);
    expect(paths(cr({ spec: { imageRegistry: { url: 'r' } } }))).toEqual([
      'spec.imageRegistry.username',
      'spec.imageRegistry.password',
    ]);
  });
});
