import { InstanceStatus, type SlaMicroservice } from '@canopy/schema';
import type { Candidate, Resources } from '@canopy/scheduler';
import {
  chooseCluster,
  forArch,
  parseRootPlacementPolicy,
  pinnedClusters,
  requestsOf,
  rootPlacementRequest,
  type ClusterCandidate,
} from './root-scheduler';

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

  it('reads arch and geo (both spellings) for the root, and leaves node pins and labels to the cluster', () => {
    expect(
      rootPlacementRequest(
        ms({
          arch: 'arm64',
          node_labels: { zone: 'a' },
          constraints: [
            { type: 'direct', cluster: 'edge1', node: 'n1' },
            { type: 'geo', location: '48.1,11.5', threshold: 30 },
          ],
        }),
      ),
    ).toEqual({
      requests: { cpuMillis: 0, memoryMb: 0, gpus: 0 },
      pinned: ['edge1'],
      arch: 'arm64',
      near: { lat: 48.1, long: 11.5, radiusKm: 30 },
    });
    expect(rootPlacementRequest(ms({ constraints: [{ type: 'geo', location: '48.1,11.5,5' }] })).near).toEqual({
      lat: 48.1,
      long: 11.5,
      radiusKm: 5,
    });
  });

  describe('architecture', () => {
    // A cluster with a roomy amd64 node and a small arm64 one.
    const mixed: ClusterCandidate = {
      ...cluster('mixed', 'mixed', 20_000, 65_536),
      architectures: ['amd64', 'arm64'],
      largestNodeFree: { cpuMillis: 16_000, memoryMb: 60_000, gpus: 0 },
      largestNodeFreeByArch: {
        amd64: { cpuMillis: 16_000, memoryMb: 60_000, gpus: 0 },
        arm64: { cpuMillis: 4000, memoryMb: 4096, gpus: 0 },
      },
    };
    const pis: ClusterCandidate = {
      ...cluster('pis', 'pis', 16_000, 32_768),
      architectures: ['arm64'],
      largestNodeFree: { cpuMillis: 4000, memoryMb: 8192, gpus: 0 },
      largestNodeFreeByArch: { arm64: { cpuMillis: 4000, memoryMb: 8192, gpus: 0 } },
    };

    it("caps a request naming an arch at that arch's largest node", () => {
      expect(forArch([mixed], 'arm64')[0]?.largestNodeFree).toEqual({ cpuMillis: 4000, memoryMb: 4096, gpus: 0 });
      expect(forArch([mixed], 'aarch64')[0]?.largestNodeFree).toEqual({ cpuMillis: 4000, memoryMb: 4096, gpus: 0 });
      expect(forArch([mixed], undefined)[0]?.largestNodeFree).toEqual(mixed.largestNodeFree);
      // 6 GB on arm64: the mixed cluster's arm64 node has 4 GB, so only the Pi cluster fits.
      expect(chooseCluster([mixed, pis], none, ms({ arch: 'arm64', memory: 6000 }))).toEqual({
        ok: true,
        clusterId: 'pis',
      });
      // Without the arch, best-fit prefers the tighter cluster that fits.
      expect(chooseCluster([mixed, pis], none, ms({ memory: 6000 }))).toEqual({ ok: true, clusterId: 'pis' });
      expect(chooseCluster([mixed, pis], none, ms({ memory: 9000 }))).toEqual({ ok: true, clusterId: 'mixed' });
    });

    it('refuses, with the numbers, when no node of the arch is large enough', () => {
      const choice = chooseCluster([mixed, pis], none, ms({ arch: 'arm64', memory: 10_000 }));
      expect(choice).toMatchObject({ ok: false, status: InstanceStatus.NoActiveClusterWithCapacity });
      expect(!choice.ok && choice.detail).toMatch(
        /needs 0m CPU and 10000 MB; most free is .* on pis \(its largest node\)/,
      );
      const riscv = chooseCluster([mixed, pis], none, ms({ arch: 'riscv64' }));
      expect(!riscv.ok && riscv.detail).toContain('no active cluster with arch riscv64');
    });
  });

  it('matches a geo constraint against cluster locations, and says clusters need one', () => {
    const munich = { ...cluster('m', 'munich', 4000, 8192), location: { lat: 48.14, long: 11.58 } };
    const berlin = { ...cluster('b', 'berlin', 4000, 8192), location: { lat: 52.52, long: 13.4 } };
    const nowhere = cluster('x', 'nowhere', 4000, 8192);
    const nearMunich = ms({ constraints: [{ type: 'geo', location: '48.2,11.6,50' }] });
    expect(chooseCluster([berlin, nowhere, munich], none, nearMunich)).toEqual({ ok: true, clusterId: 'm' });
    const nearParis = chooseCluster(
      [berlin, nowhere, munich],
      none,
      ms({ constraints: [{ type: 'geo', location: '48.85,2.35', threshold: 100 }] }),
    );
    expect(nearParis).toMatchObject({ ok: false, status: InstanceStatus.NoActiveClusterWithCapacity });
    expect(!nearParis.ok && nearParis.detail).toContain('no active cluster within 100 km of (48.85, 2.35)');
    expect(!nearParis.ok && nearParis.detail).toContain('CLUSTER_LOCATION');
  });

  it('says "cluster" and names the GPUs in its sentences', () => {
    const choice = chooseCluster([cluster('c1', 'edge-1', 4000, 8192)], none, ms({ vgpus: 2 }));
    expect(choice).toMatchObject({ ok: false, status: InstanceStatus.NoActiveClusterWithCapacity });
    expect(!choice.ok && choice.detail).toBe(
      'no active cluster with at least 2 GPUs (of 1 cluster: 1 with fewer than 2 GPUs)',
    );
    const pinned = chooseCluster(
      [cluster('c1', 'edge-1', 4000, 8192)],
      none,
      ms({ vgpus: 2, constraints: [{ type: 'direct', cluster: 'edge-1' }] }),
    );
    expect(pinned).toMatchObject({ ok: false, status: InstanceStatus.TargetClusterNoCapacity });
    expect(!pinned.ok && pinned.detail).toContain('no active cluster named "edge-1" with at least 2 GPUs');
    const unknown = chooseCluster(
      [cluster('c1', 'edge-1', 4000, 8192)],
      none,
      ms({ constraints: [{ type: 'direct', cluster: 'edge-9' }] }),
    );
    expect(unknown).toEqual({
      ok: false,
      status: InstanceStatus.TargetClusterNotFound,
      detail: 'no cluster named "edge-9"; known clusters: "edge-1"',
    });
  });

  it('uses the default policy unless the service names one', () => {
    const clusters = [cluster('s', 'small', 2000, 2048), cluster('b', 'big', 8000, 16_384)];
    // The root's candidates offer their free room, so best-fit takes the cluster the request fills most.
    expect(chooseCluster(clusters, none, ms({ vcpus: 1 }))).toEqual({ ok: true, clusterId: 's' });
    expect(chooseCluster(clusters, none, ms({ vcpus: 1 }), 'worst-fit')).toEqual({ ok: true, clusterId: 'b' });
    expect(chooseCluster(clusters, none, ms({ vcpus: 1, placement_policy: 'best_fit' }), 'worst-fit')).toEqual({
      ok: true,
      clusterId: 's',
    });
    expect(parseRootPlacementPolicy(undefined)).toEqual({ ok: true, policy: 'best-fit' });
    expect(parseRootPlacementPolicy('Traffic-Most')).toEqual({ ok: true, policy: 'most-traffic' });
    expect(parseRootPlacementPolicy('constructor')).toMatchObject({ ok: false });
  });
});
