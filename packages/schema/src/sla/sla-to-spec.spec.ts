import { validateInput } from '../validation/validate';
import { InstanceSpecDto } from '../wire/instance-spec.dto';
import { PLACEMENT_POLICIES, PLACEMENT_POLICY_ALIASES, SlaMicroservice } from './sla.dto';
import { microserviceToInstanceSpec, placementPolicyOf } from './sla-to-spec';

const KEY = { serviceId: 'svc-1', instanceNumber: 2, generation: 3 };
const JOB = 'clientsrvr.test.nginx.test';

/** A microservice as it leaves validation, so the test exercises what the root really converts. */
function validated(fields: Record<string, unknown>): SlaMicroservice {
  const result = validateInput(SlaMicroservice, {
    microservice_name: 'nginx',
    microservice_namespace: 'test',
    virtualization: 'container',
    code: 'docker.io/library/nginx:latest',
    ...fields,
  });
  if (!result.ok) {
    throw new Error(JSON.stringify(result.errors));
  }
  return result.value;
}

describe('microserviceToInstanceSpec', () => {
  it('fills the defaults for a minimal microservice', () => {
    expect(microserviceToInstanceSpec(validated({}), KEY, JOB)).toEqual({
      serviceId: 'svc-1',
      instanceNumber: 2,
      generation: 3,
      jobName: JOB,
      image: 'docker.io/library/nginx:latest',
      cmd: [],
      environment: [],
      ports: [],
      memoryMb: 0,
      vcpus: 0,
      vgpus: 0,
      oneShot: false,
      privileged: false,
    });
  });

  it('carries resources, flags, environment and ports', () => {
    const spec = microserviceToInstanceSpec(
      validated({
        memory: 100,
        vcpus: 2,
        vgpus: 1,
        one_shot: true,
        privileged: true,
        environment: ['A=1', 'B=x=y'],
        port: '8080:80;9090:90/udp;53',
      }),
      KEY,
      JOB,
    );
    expect(spec).toMatchObject({ memoryMb: 100, vcpus: 2, vgpus: 1, oneShot: true, privileged: true });
    expect(spec.environment).toEqual(['A=1', 'B=x=y']);
    expect(spec.ports).toEqual([
      { hostPort: 8080, containerPort: 80, protocol: 'tcp' },
      { hostPort: 9090, containerPort: 90, protocol: 'udp' },
      { containerPort: 53, protocol: 'tcp' },
    ]);
  });

  it('runs cmd followed by args', () => {
    expect(microserviceToInstanceSpec(validated({ cmd: ['sh', '-c'], args: ['echo hi'] }), KEY, JOB).cmd).toEqual([
      'sh',
      '-c',
      'echo hi',
    ]);
    expect(microserviceToInstanceSpec(validated({ args: ['--verbose'] }), KEY, JOB).cmd).toEqual(['--verbose']);
  });

  it('copies lists so a later change to the SLA does not reach a spec already sent', () => {
    const ms = validated({ cmd: ['a'], environment: ['A=1'], constraints: [{ type: 'direct', node: 'w1' }] });
    const spec = microserviceToInstanceSpec(ms, KEY, JOB);
    ms.cmd!.push('b');
    ms.environment!.push('B=2');
    ms.constraints![0]!.node = 'w2';
    expect(spec.cmd).toEqual(['a']);
    expect(spec.environment).toEqual(['A=1']);
    expect(spec.constraints).toEqual([{ type: 'direct', node: 'w1' }]);
  });

  it('passes constraints on and leaves them out when there are none', () => {
    const pinned = microserviceToInstanceSpec(
      validated({ constraints: [{ type: 'direct', cluster: 'c1', node: 'w1;w2' }] }),
      KEY,
      JOB,
    );
    expect(pinned.constraints).toEqual([{ type: 'direct', cluster: 'c1', node: 'w1;w2' }]);
    expect(microserviceToInstanceSpec(validated({ constraints: [] }), KEY, JOB)).not.toHaveProperty('constraints');
  });

  it.each([
    ['best_fit', 'best-fit'],
    ['best-fit', 'best-fit'],
    ['worst_fit', 'worst-fit'],
    ['first_fit', 'first-fit'],
    ['most_traffic', 'most-traffic'],
    ['traffic-most', 'most-traffic'],
  ])('normalizes placement_policy %s to %s', (alias, canonical) => {
    expect(microserviceToInstanceSpec(validated({ placement_policy: alias }), KEY, JOB).placementPolicy).toBe(
      canonical,
    );
    expect(microserviceToInstanceSpec(validated({ placementPolicy: alias }), KEY, JOB).placementPolicy).toBe(canonical);
  });

  it('prefers placement_policy over placementPolicy and omits the policy when neither is given', () => {
    expect(placementPolicyOf({ placement_policy: 'worst_fit', placementPolicy: 'best-fit' })).toBe('worst-fit');
    expect(microserviceToInstanceSpec(validated({}), KEY, JOB)).not.toHaveProperty('placementPolicy');
  });

  it('only normalizes to canonical policies', () => {
    for (const canonical of Object.values(PLACEMENT_POLICY_ALIASES)) {
      expect(PLACEMENT_POLICIES).toContain(canonical);
    }
  });

  it('rejects an unknown policy at validation', () => {
    const result = validateInput(SlaMicroservice, {
      microservice_name: 'nginx',
      microservice_namespace: 'test',
      virtualization: 'container',
      code: 'nginx',
      placement_policy: 'random',
    });
    expect(result.ok ? [] : result.errors.map((e) => e.path)).toEqual(['placement_policy']);
  });

  it('produces a spec that passes the wire validation the cluster and node apply', () => {
    const spec = microserviceToInstanceSpec(
      validated({
        memory: 64,
        vcpus: 1,
        cmd: ['httpd', '-f'],
        environment: ['A=1'],
        port: '8080:80;53/udp',
        constraints: [{ type: 'direct', node: 'w1' }],
        placement_policy: 'best_fit',
      }),
      KEY,
      JOB,
    );
    const result = validateInput(InstanceSpecDto, JSON.parse(JSON.stringify(spec)));
    expect(result.ok ? [] : result.errors).toEqual([]);
  });

  it('refuses a port string that skipped validation', () => {
    const raw = Object.assign(new SlaMicroservice(), {
      microservice_name: 'x',
      microservice_namespace: 'y',
      virtualization: 'container',
      code: 'img',
      port: '80:',
    });
    expect(() => microserviceToInstanceSpec(raw, KEY, JOB)).toThrow(TypeError);
  });
});
