import { InstanceStatus } from '@canopy/schema';
import { planReplicas } from './replicas.planner';

type I = Parameters<typeof planReplicas>[1][number];
const inst = (
  instanceNumber: number,
  generation: number,
  status: I['status'] = InstanceStatus.RUNNING,
  extra: Partial<I> = {},
): I => ({
  instanceNumber,
  generation,
  status,
  desired: 'running',
  clusterId: 'c1',
  ...extra,
});
const svc = (replicas: number, generation = 1, scheduled = true) => ({ replicas, generation, scheduled });

describe('planReplicas', () => {
  it('does nothing for a service that was never deployed', () => {
    expect(planReplicas(svc(3, 1, false), [])).toEqual([]);
  });

  it('scales up to the replica count', () => {
    expect(planReplicas(svc(3), [inst(0, 1)])).toEqual([{ kind: 'deploy' }, { kind: 'deploy' }]);
  });

  it('scales down from the newest instance', () => {
    expect(planReplicas(svc(1), [inst(0, 1), inst(1, 1), inst(2, 1)])).toEqual([
      { kind: 'undeploy', instanceNumber: 2 },
      { kind: 'undeploy', instanceNumber: 1 },
    ]);
  });

  it('ignores instances already being removed', () => {
    expect(planReplicas(svc(1), [inst(0, 1), inst(1, 1, InstanceStatus.RUNNING, { desired: 'deleted' })])).toEqual([]);
  });

  it('surges one new instance before removing an old one', () => {
    expect(planReplicas(svc(2, 2), [inst(0, 1), inst(1, 1)])).toEqual([{ kind: 'deploy' }]);
  });

  it('waits while the new instance is not RUNNING yet', () => {
    expect(planReplicas(svc(2, 2), [inst(0, 1), inst(1, 1), inst(2, 2, InstanceStatus.CREATING)])).toEqual([]);
  });

  it('removes the oldest old instance once the new one runs', () => {
    expect(planReplicas(svc(2, 2), [inst(0, 1), inst(1, 1), inst(2, 2)])).toEqual([
      { kind: 'undeploy', instanceNumber: 0 },
    ]);
  });

  it('stalls a rollout whose new instance failed, keeping the old ones', () => {
    expect(planReplicas(svc(1, 2), [inst(0, 1), inst(1, 2, InstanceStatus.FAILED)])).toEqual([]);
  });

  it('finishes a rollout with nothing old left', () => {
    expect(planReplicas(svc(2, 2), [inst(2, 2), inst(3, 2)])).toEqual([]);
  });

  it('retries placement of instances that never reached a cluster', () => {
    const unplaced = inst(0, 1, InstanceStatus.NoActiveClusterWithCapacity, { clusterId: undefined });
    expect(planReplicas(svc(1), [unplaced])).toEqual([{ kind: 'place', instanceNumber: 0 }]);
  });

  it('retires an instance that ended UNDEPLOYED while desired and deploys its replacement', () => {
    const ended = inst(1, 1, InstanceStatus.UNDEPLOYED);
    expect(planReplicas(svc(2), [inst(0, 1), ended])).toEqual([
      { kind: 'retire', instanceNumber: 1 },
      { kind: 'deploy' },
    ]);
  });

  it('does not count an ended instance toward a rollout', () => {
    expect(planReplicas(svc(1, 2), [inst(0, 1), inst(1, 2, InstanceStatus.UNDEPLOYED)])).toEqual([
      { kind: 'retire', instanceNumber: 1 },
      { kind: 'deploy' },
    ]);
  });
});
