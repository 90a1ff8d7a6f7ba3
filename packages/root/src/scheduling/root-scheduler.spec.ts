import { InstanceStatus, type SlaMicroservice } from '@canopy/schema';
import type { Candidate, Resources } from '@canopy/scheduler';
import { chooseCluster, pinnedClusters, requestsOf } from './root-scheduler';

const none = (): Resources => ({ cpuMillis: 0, memoryMb: 0, gpus: 0 });

function cluster(id: string, name: string, cpuMillis: number, memoryMb: number, active = true): Candidate {
  return {
    id,
    name,
    active,
    allocatable: { cpuMillis, memoryMb, gpus: 0 },
    largestNodeFree: { cpuMillis, memoryMb, gpus: 0 },
    architectures: ['amd64'],
    labels: {},
  };
}

function ms(extra: Partial<SlaMicroservice> = {}): SlaMicroservice {
  return { microservice_name: 'web', microservice_namespace: 'ns', virtualization: 'container', code: 'img', ...extra };
}

describe('root scheduler adapter', () => {
  it('turns vcpus and memory into a reservation request', () => {
    expect(requestsOf(ms({ vcpus: 2, memory: 512, vgpus: 1 }))).toEqual({ cpuMillis: 2000, memoryMb: 512, gpus: 1 });
    expect(requestsOf(ms())).toEqual({ cpuMillis: 0, memoryMb: 0, gpus: 0 });
  });

  it('reads direct cluster pins and ignores other constraints', () => {
    expect(pinnedClusters(ms({ constraints: [{ type: 'direct', cluster: 'edge1' }, { type: 'latency' }] }))).toEqual([
      'edge1',
    ]);
    expect(pinnedClusters(ms({ constraints: [{ type: 'direct', node: 'n1' }] }))).toBeUndefined();
  });

  it('picks an active cluster that fits', () => {
    const choice = chooseCluster(
      [cluster('c1', 'small', 500, 128), cluster('c2', 'big', 4000, 8192)],
      none,
      ms({ vcpus: 1, memory: 256 }),
    );
    expect(choice).toEqual({ ok: true, clusterId: 'c2' });
  });

  it('says NoActiveClusterWithCapacity when nothing is connected', () => {
    const choice = chooseCluster([cluster('c1', 'a', 4000, 8192, false)], none, ms());
    expect(choice).toMatchObject({ ok: false, status: InstanceStatus.NoActiveClusterWithCapacity });
  });

  it('tells an unknown pinned cluster from a full one', () => {
    const clusters = [cluster('c1', 'edge1', 500, 128)];
    expect(chooseCluster(clusters, none, ms({ constraints: [{ type: 'direct', cluster: 'nowhere' }] }))).toMatchObject({
      ok: false,
      status: InstanceStatus.TargetClusterNotFound,
    });
    expect(
      chooseCluster(clusters, none, ms({ vcpus: 2, constraints: [{ type: 'direct', cluster: 'edge1' }] })),
    ).toMatchObject({
      ok: false,
      status: InstanceStatus.TargetClusterNoCapacity,
    });
  });

  it('counts what the root already sent but no report reflects', () => {
    const reserved = (id: string): Resources => (id === 'c1' ? { cpuMillis: 1000, memoryMb: 0, gpus: 0 } : none());
    expect(chooseCluster([cluster('c1', 'a', 1500, 1024)], reserved, ms({ vcpus: 1 }))).toMatchObject({ ok: false });
  });
});
