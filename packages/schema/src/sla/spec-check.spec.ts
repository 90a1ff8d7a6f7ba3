import fc from 'fast-check';
import { validateInput } from '../validation/validate';
import { InstanceSpecDto } from '../wire/instance-spec.dto';
import { microserviceToInstanceSpec } from './sla-to-spec';
import { SlaMicroservice } from './sla.dto';
import { instanceSpecErrors } from './spec-check';

const base = {
  microservice_name: 'web',
  microservice_namespace: 'test',
  virtualization: 'container',
  code: 'canopy-test/busybox:latest',
};

function sla(extra: Record<string, unknown>): SlaMicroservice {
  const result = validateInput(SlaMicroservice, { ...base, ...extra });
  if (!result.ok) throw new Error(`test SLA refused: ${JSON.stringify(result.errors)}`);
  return result.value;
}

const labels = (n: number): Record<string, string> =>
  Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, 'v']));

describe('instanceSpecErrors', () => {
  it('accepts an ordinary microservice', () => {
    expect(instanceSpecErrors(sla({ port: '80', memory: 32, cmd: ['httpd'] }), 'a.b.web.test')).toEqual([]);
  });

  it('names node_labels when realtime makes 65 labels', () => {
    const errors = instanceSpecErrors(sla({ node_labels: labels(64), realtime: true }), 'a.b.web.test', 'm');
    expect(errors).toEqual([
      { path: 'm.node_labels', message: expect.stringContaining('node_labels must have at most 64 labels') },
    ]);
  });

  it('names binds for a bind over 1,024 characters', () => {
    const errors = instanceSpecErrors(sla({ binds: ['/a:/b', `/${'x'.repeat(1024)}:/c`] }), 'a.b.web.test');
    expect(errors).toEqual([{ path: 'binds', message: expect.stringContaining('1024 characters') }]);
  });

  it('names the job name (microservice_name) when app and service names make it too long', () => {
    const errors = instanceSpecErrors(sla({}), 'x'.repeat(257));
    expect(errors.map((e) => e.path)).toEqual(['microservice_name']);
  });
});

/**
 * Deliverable 7's contract: every microservice the root accepts (its SLA validation, then
 * {@link instanceSpecErrors}) yields a spec the cluster's `InstanceSpecDto` validation accepts, and
 * what the root refuses is refused naming SLA fields only.
 */
describe('one contract across tiers (property)', () => {
  const SLA_FIELDS = new Set(Object.keys(new SlaMicroservice()).concat(Object.keys(base)));
  const str = (max: number) => fc.string({ minLength: 1, maxLength: max });
  const labelKey = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,8}$/);
  const microservice = fc.record(
    {
      microservice_name: fc.stringMatching(/^[a-z][a-z0-9-]{0,40}$/),
      microservice_namespace: fc.stringMatching(/^[a-z][a-z0-9]{0,20}$/),
      virtualization: fc.constant('container'),
      code: fc.oneof(fc.constant('busybox:latest'), str(600)),
      cmd: fc.array(str(20), { maxLength: 4 }),
      args: fc.array(str(20), { maxLength: 4 }),
      environment: fc.array(
        fc.tuple(fc.stringMatching(/^[A-Z_][A-Z0-9_]{0,10}$/), fc.string()).map(([k, v]) => `${k}=${v}`),
        { maxLength: 4 },
      ),
      memory: fc.nat(100_000),
      vcpus: fc.nat(64),
      vgpus: fc.nat(4),
      port: fc.oneof(fc.constant('80'), fc.constant('8080:80'), fc.constant('80/udp')),
      binds: fc.array(fc.oneof(str(30), fc.string({ minLength: 1000, maxLength: 1100 })), { maxLength: 3 }),
      cap_add: fc.array(fc.constantFrom('NET_ADMIN', 'SYS_TIME', 'CAP_CHOWN'), { maxLength: 2 }),
      node_labels: fc.dictionary(labelKey, fc.string({ maxLength: 10 }), { minKeys: 0, maxKeys: 66 }),
      realtime: fc.boolean(),
      arch: fc.constantFrom('amd64', 'arm64'),
      image_registry: fc.record({ username: str(300), password: str(20), url: fc.constant('reg.example.org') }),
      one_shot: fc.boolean(),
    },
    { requiredKeys: ['microservice_name', 'microservice_namespace', 'virtualization', 'code'] },
  );
  const appName = fc.stringMatching(/^[a-z][a-z0-9]{0,90}$/);

  it('accepted SLA ⇒ accepted spec; refused ⇒ only SLA fields named', () => {
    let accepted = 0;
    fc.assert(
      fc.property(microservice, appName, appName, (raw, app, ns) => {
        const parsed = validateInput(SlaMicroservice, raw);
        if (!parsed.ok) return;
        const job = `${app}.${ns}.${parsed.value.microservice_name}.${parsed.value.microservice_namespace}`;
        const errors = instanceSpecErrors(parsed.value, job);
        if (errors.length === 0) {
          accepted++;
          const spec = microserviceToInstanceSpec(
            parsed.value,
            { serviceId: '0f9d3c4e-1111-4222-8333-944455556666', instanceNumber: 7, generation: 3 },
            job,
          );
          const checked = validateInput(InstanceSpecDto, JSON.parse(JSON.stringify(spec)));
          expect(checked.ok ? [] : checked.errors).toEqual([]);
        } else {
          for (const e of errors) expect(SLA_FIELDS).toContain(e.path.split(/[.[]/)[0]);
        }
      }),
      { numRuns: 2_500 },
    );
    // The generator must exercise the accepted side too, or the property proves nothing.
    expect(accepted).toBeGreaterThan(200);
  });
});
