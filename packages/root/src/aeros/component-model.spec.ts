import { InstanceStatus } from '@canopy/schema';
import type { InstanceRecord } from '../persistence/records';
import {
  componentState,
  entityIdOf,
  mergePatch,
  needsRecreate,
  redactAnnotations,
  redactSpec,
  restoreSecrets,
  slaName,
} from './component-model';
import { REDACTED_SECRET } from './components.port';

let n = 0;
function inst(over: Partial<InstanceRecord>): InstanceRecord {
  n += 1;
  return {
    id: `s.${n}`,
    version: 1,
    createdAt: '',
    updatedAt: '',
    ownerId: 'u',
    serviceId: 's',
    instanceNumber: n,
    generation: 1,
    desired: 'running',
    status: InstanceStatus.REQUESTED,
    statusDetail: '',
    hostPorts: [],
    history: [],
    ...over,
  };
}

describe('componentState (aerOS status from Canopy instances)', () => {
  it('is Starting before anything exists and while the instance is on its way', () => {
    expect(componentState([], 1).status).toBe('Starting');
    for (const status of [
      InstanceStatus.REQUESTED,
      InstanceStatus.CLUSTER_SCHEDULED,
      InstanceStatus.NODE_SCHEDULED,
      InstanceStatus.CREATING,
    ]) {
      expect(componentState([inst({ status })], 1).status).toBe('Starting');
    }
  });

  it('is Running when the current instance runs, Failed when it failed, Finished when a job completed', () => {
    expect(componentState([inst({ status: InstanceStatus.RUNNING })], 1).status).toBe('Running');
    expect(componentState([inst({ status: InstanceStatus.FAILED })], 1).status).toBe('Failed');
    expect(componentState([inst({ status: InstanceStatus.NO_QUALIFIED_WORKER_FOUND })], 1).status).toBe('Failed');
    expect(componentState([inst({ status: InstanceStatus.COMPLETED })], 1).status).toBe('Finished');
  });

  it('stays Running on the old instance while a new generation starts (no gap), then follows the new one', () => {
    const old = inst({ status: InstanceStatus.RUNNING, generation: 1, nodeName: 'a' });
    const starting = inst({ status: InstanceStatus.CREATING, generation: 2, nodeName: 'b' });
    expect(componentState([old, starting], 2)).toEqual({ status: 'Running', instance: old });
    const running = { ...starting, status: InstanceStatus.RUNNING };
    expect(componentState([old, running], 2)).toEqual({ status: 'Running', instance: running });
  });

  it('is Removing until every container is confirmed gone, then Finished', () => {
    const leaving = inst({ status: InstanceStatus.RUNNING, desired: 'deleted' });
    expect(componentState([leaving], 1).status).toBe('Removing');
    expect(componentState([{ ...leaving, status: InstanceStatus.UNDEPLOYED }], 1).status).toBe('Finished');
  });
});

describe('entityIdOf', () => {
  const cr = (labels: Record<string, string>, annotations?: Record<string, string>) =>
    ({ metadata: { name: 'web', labels, annotations } }) as never;
  it('prefers the exact id an allocation annotates, then the HLO instance label, then its own', () => {
    expect(entityIdOf(cr({}, { 'canopy.io/ngsi-ld-id': 'urn:ngsi-ld:Service:x:Component:y' }), 'default')).toBe(
      'urn:ngsi-ld:Service:x:Component:y',
    );
    expect(entityIdOf(cr({ 'app.kubernetes.io/instance': 'Service_1_Component_2' }), 'default')).toBe(
      'urn:ngsi-ld:Service:1:Component:2',
    );
    expect(entityIdOf(cr({ 'app.kubernetes.io/instance': 'nginx' }), 'ns')).toBe('urn:ngsi-ld:ServiceComponent:ns:web');
  });
});

describe('secrets and patches', () => {
  it('never shows a registry password, and a write of the placeholder keeps the stored one', () => {
    const spec = { image: 'x', imageRegistry: { username: 'u', password: 'p' } };
    expect(redactSpec(spec)).toEqual({ image: 'x', imageRegistry: { username: 'u', password: REDACTED_SECRET } });
    expect(restoreSecrets(redactSpec(spec), spec)).toEqual(spec);
    expect(restoreSecrets({ imageRegistry: { username: 'u', password: 'new' } }, spec)).toEqual({
      imageRegistry: { username: 'u', password: 'new' },
    });
    const applied = { 'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify({ spec }) };
    expect(redactAnnotations(applied)['kubectl.kubernetes.io/last-applied-configuration']).not.toContain('"p"');
  });

  it('keeps kubectl’s last-applied annotation byte for byte when it holds no secret', () => {
    // kubectl compares it with what it applies next; a rewritten copy (even one newline less)
    // makes an unchanged `kubectl apply` say "configured".
    const raw = `${JSON.stringify({ kind: 'ServiceComponentDocker', spec: { image: 'x' } })}\n`;
    const applied = { 'kubectl.kubernetes.io/last-applied-configuration': raw };
    expect(redactAnnotations(applied)).toEqual(applied);
    const secret = `${JSON.stringify({ spec: { imageRegistry: { username: 'u', password: 'p' } } })}\n`;
    const redacted = redactAnnotations({ 'kubectl.kubernetes.io/last-applied-configuration': secret });
    expect(redacted['kubectl.kubernetes.io/last-applied-configuration']).toMatch(/"password":"\*+"}}}\n$/);
  });

  it('merges as RFC 7386 says', () => {
    expect(mergePatch({ a: 1, b: { c: 2, d: 3 } }, { b: { c: null, e: 4 }, f: [1] })).toEqual({
      a: 1,
      b: { d: 3, e: 4 },
      f: [1],
    });
    expect(mergePatch({ a: 1 }, [2])).toEqual([2]);
    expect(mergePatch('x', { a: { b: 1 } })).toEqual({ a: { b: 1 } });
  });

  it('recreates only when the same node would need the same fixed host ports', () => {
    const ms = (port?: string) =>
      ({ microservice_name: 'a', microservice_namespace: 'b', virtualization: 'container', code: 'x', port }) as never;
    expect(needsRecreate(ms('80:80'), ms('80:80'), true)).toBe(true);
    expect(needsRecreate(ms('80:80'), ms('80:80'), false)).toBe(false);
    expect(needsRecreate(ms('80'), ms(undefined), true)).toBe(false);
  });

  it('turns Kubernetes names into SLA names', () => {
    expect(slaName('service-1.mongo', 'x')).toBe('service1mongo');
    expect(slaName('---', 'fallback')).toBe('fallback');
    expect(slaName('a'.repeat(40), 'x')).toHaveLength(30);
  });
});
