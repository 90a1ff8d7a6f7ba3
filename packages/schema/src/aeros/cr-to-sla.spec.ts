import { validateInput } from '../validation/validate';
import { SlaMicroservice } from '../sla/sla.dto';
import { microserviceToInstanceSpec } from '../sla/sla-to-spec';
import { InstanceSpecDto } from '../wire/instance-spec.dto';
import { flattenCliArgs, selectedNode, serviceComponentToMicroservice } from './cr-to-sla';
import { AEROS_API_VERSION, AerosServiceComponent } from './service-component.dto';

function component(spec: Record<string, unknown>, name = 'nginx-web'): AerosServiceComponent {
  const result = validateInput(AerosServiceComponent, {
    apiVersion: AEROS_API_VERSION,
    kind: 'ServiceComponentDocker',
    metadata: { name },
    spec: { image: 'docker.io/library/nginx:latest', ...spec },
  });
  if (!result.ok) {
    throw new Error(JSON.stringify(result.errors));
  }
  return result.value;
}

describe('flattenCliArgs', () => {
  it('writes key then value, and a key without value as a bare flag, in order', () => {
    expect(
      flattenCliArgs([
        { key: '--port', value: '80' },
        { key: '-v' },
        { key: 'serve' },
        { key: '--name', value: 'a b' },
      ]),
    ).toEqual(['--port', '80', '-v', 'serve', '--name', 'a b']);
  });

  it('keeps an empty value as its own argument', () => {
    expect(flattenCliArgs([{ key: '--label', value: '' }])).toEqual(['--label', '']);
  });

  it('turns no args into an empty command', () => {
    expect(flattenCliArgs([])).toEqual([]);
  });
});

describe('selectedNode', () => {
  it('reads both spellings of selectedIE, preferring the hostname', () => {
    expect(selectedNode(component({ selectedIE: 'worker1' }))).toBe('worker1');
    expect(selectedNode(component({ selectedIE: { id: 'urn:ie:1', hostname: 'worker1' } }))).toBe('worker1');
    expect(selectedNode(component({ selectedIE: { id: 'urn:ie:1', hostname: '' } }))).toBe('urn:ie:1');
    expect(selectedNode(component({}))).toBeUndefined();
  });
});

describe('serviceComponentToMicroservice', () => {
  it('turns a full CR into a microservice that passes SLA validation', () => {
    const ms = serviceComponentToMicroservice(
      component({
        selectedIE: { id: 'urn:ngsi-ld:InfrastructureElement:1', hostname: 'worker1' },
        ports: [
          { number: 80, protocol: 'TCP' },
          { number: 5683, protocol: 'UDP' },
        ],
        cliArgs: [{ key: '-g' }, { key: 'daemon off;' }],
        envVars: [
          { key: 'MODE', value: 'demo' },
          { key: 'URL', value: 'http://x/?a=b' },
        ],
        isJob: false,
        privileged: true,
        exposePorts: true,
      }),
    );
    expect(ms).toEqual({
      microservice_name: 'nginxweb',
      microservice_namespace: 'aeros',
      virtualization: 'container',
      code: 'docker.io/library/nginx:latest',
      cmd: ['-g', 'daemon off;'],
      environment: ['MODE=demo', 'URL=http://x/?a=b'],
      one_shot: false,
      privileged: true,
      port: '80:80;5683:5683/udp',
      constraints: [{ type: 'direct', node: 'worker1' }],
    });
    const check = validateInput(SlaMicroservice, JSON.parse(JSON.stringify(ms)));
    expect(check.ok ? [] : check.errors).toEqual([]);
  });

  it('pins a string selectedIE to that node with a direct constraint', () => {
    expect(serviceComponentToMicroservice(component({ selectedIE: 'edge-7' })).constraints).toEqual([
      { type: 'direct', node: 'edge-7' },
    ]);
  });

  it('leaves placement free without selectedIE', () => {
    expect(serviceComponentToMicroservice(component({}))).not.toHaveProperty('constraints');
  });

  it('flattens cliArgs key then value, bare flags alone', () => {
    const ms = serviceComponentToMicroservice(
      component({ cliArgs: [{ key: '--port', value: '8080' }, { key: '--debug' }] }),
    );
    expect(ms.cmd).toEqual(['--port', '8080', '--debug']);
  });

  it('marks a job as one-shot', () => {
    expect(serviceComponentToMicroservice(component({ isJob: true })).one_shot).toBe(true);
  });

  it('publishes ports on the same host port only when exposePorts is true', () => {
    expect(serviceComponentToMicroservice(component({ ports: [{ number: 80 }], exposePorts: true })).port).toBe(
      '80:80',
    );
    expect(serviceComponentToMicroservice(component({ ports: [{ number: 80 }], exposePorts: false })).port).toBe('80');
    expect(serviceComponentToMicroservice(component({ ports: [{ number: 80 }] })).port).toBe('80');
    expect(serviceComponentToMicroservice(component({}))).not.toHaveProperty('port');
  });

  it('merges a port listed twice instead of producing an SLA that fails validation', () => {
    const ms = serviceComponentToMicroservice(
      component({
        exposePorts: true,
        ports: [{ number: 80 }, { number: 80, protocol: 'tcp' }, { number: 80, protocol: 'udp' }],
      }),
    );
    expect(ms.port).toBe('80:80;80:80/udp');
    expect(validateInput(SlaMicroservice, JSON.parse(JSON.stringify(ms))).ok).toBe(true);
  });

  it('derives a valid SLA name from any DNS-1123 CR name', () => {
    for (const name of ['a', 'my-service-1', 'x'.repeat(63), '1-2-3']) {
      const ms = serviceComponentToMicroservice(component({}, name));
      expect(ms.microservice_name).toMatch(/^[a-zA-Z0-9]{1,30}$/);
    }
  });
});

describe('private registry credentials', () => {
  it('carry aerOS imageRegistry through the SLA spelling into the instance spec', () => {
    const ms = serviceComponentToMicroservice(
      component({ imageRegistry: { url: 'registry.example.org:5000', username: 'u', password: 'p' } }),
    );
    expect(ms.image_registry).toEqual({ url: 'registry.example.org:5000', username: 'u', password: 'p' });
    expect(validateInput(SlaMicroservice, ms).ok).toBe(true);
    const spec = microserviceToInstanceSpec(ms, { serviceId: 's', instanceNumber: 0, generation: 1 }, 'a.b.c.d');
    expect(spec.registryAuth).toEqual({ username: 'u', password: 'p', serveraddress: 'registry.example.org:5000' });
    expect(validateInput(InstanceSpecDto, spec).ok).toBe(true);
  });

  it('leave the spec without credentials when the CR has none', () => {
    const ms = serviceComponentToMicroservice(component({}));
    expect(ms.image_registry).toBeUndefined();
    expect(
      microserviceToInstanceSpec(ms, { serviceId: 's', instanceNumber: 0, generation: 1 }, 'a.b.c.d').registryAuth,
    ).toBeUndefined();
  });
});
