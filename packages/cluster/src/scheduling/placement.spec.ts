import { InstanceStatus, type InstanceSpecDto } from '@canopy/schema';
import { aggregateResources, failureStatus, toCandidate, toPlacementRequest, toPolicy } from './placement';
import { instanceSpec } from '@canopy/testing';
import { activeNodes, nodeView as node } from '../../test/support/node-view';

function spec(overrides: Partial<InstanceSpecDto> = {}): InstanceSpecDto {
  return instanceSpec('s', { memoryMb: 256, vcpus: 0.25, ...overrides });
}

describe('nodes as candidates', () => {
  it('offers cores as millicores, memory and GPUs as registered, with live traffic and arch', () => {
    const view = node('n1', {
      gpus: 1,
      location: '48.1,11.5',
      labels: { zone: 'a' },
      live: {
        lastSeen: 1,
        info: {
          cpuCores: 4,
          cpuPercent: 30,
          memoryTotalMb: 8192,
          memoryFreeMb: 4000,
          arch: 'arm64',
          netRxBps: 900,
          at: 1,
        },
      },
    });
    expect(toCandidate(view)).toEqual({
      id: 'n1',
      name: 'name-n1',
      active: true,
      allocatable: { cpuMillis: 4000, memoryMb: 8192, gpus: 1 },
      architectures: ['arm64'],
      labels: { zone: 'a' },
      location: { lat: 48.1, long: 11.5 },
      netRxBps: 900,
      cpuPercent: 30,
    });
  });

  it('leaves out what a node never said', () => {
    const c = toCandidate(node('n2', { active: false }));
    expect(c.active).toBe(false);
    expect(c.location).toBeUndefined();
    expect(c.netRxBps).toBeUndefined();
    expect(c.architectures).toEqual(['amd64']);
  });
});

describe('specs as placement requests', () => {
  it('asks for vcpus in millicores, memory and vgpus', () => {
    expect(toPlacementRequest(spec({ vcpus: 1.5, memoryMb: 512, vgpus: 2 }))).toEqual({
      requests: { cpuMillis: 1500, memoryMb: 512, gpus: 2 },
    });
  });

  it('pins to the nodes of direct constraints, names or ids, ;-separated', () => {
    const request = toPlacementRequest(
      spec({
        constraints: [
          { type: 'direct', node: 'edge-1; abc123 ;' },
          { type: 'direct', cluster: 'other', node: 'edge-2;edge-1' },
        ],
      }),
    );
    expect(request.pinned).toEqual(['edge-1', 'abc123', 'edge-2']);
  });

  it("ignores a direct constraint that only names a cluster (the root's choice)", () => {
    expect(toPlacementRequest(spec({ constraints: [{ type: 'direct', cluster: 'c1' }] })).pinned).toBeUndefined();
  });

  it('keeps an instance near a geo constraint point', () => {
    expect(toPlacementRequest(spec({ constraints: [{ type: 'geo', location: '48.1,11.5,25' }] })).near).toEqual({
      lat: 48.1,
      long: 11.5,
      radiusKm: 25,
    });
    expect(toPlacementRequest(spec({ constraints: [{ type: 'geo', location: 'munich' }] })).near).toBeUndefined();
  });
});

describe('policies and failures', () => {
  it.each([
    ['best-fit', 'best-fit'],
    ['best_fit', 'best-fit'],
    ['worst_fit', 'worst-fit'],
    ['Worst-Fit', 'worst-fit'],
    ['first-fit', 'first-fit'],
    ['most_traffic', 'most-traffic'],
    ['traffic-most', 'most-traffic'],
  ])('reads %s as %s', (raw, policy) => expect(toPolicy(raw)).toBe(policy));

  it('has no policy for unknown or absent spellings', () => {
    expect(toPolicy('random')).toBeUndefined();
    expect(toPolicy(undefined)).toBeUndefined();
  });

  it('maps scheduler failures to Oakestra statuses', () => {
    expect(failureStatus('no-capacity')).toBe(InstanceStatus.NO_WORKER_CAPACITY);
    expect(failureStatus('filtered')).toBe(InstanceStatus.NO_QUALIFIED_WORKER_FOUND);
    expect(failureStatus('no-candidates')).toBe(InstanceStatus.NO_QUALIFIED_WORKER_FOUND);
  });
});

describe('cluster resources for the root', () => {
  it('sums active nodes, nets out reservations and gives the most any single node has free, per resource and arch', () => {
    const nodes = [
      node('small', { cpuCores: 2, memoryMb: 2048 }),
      node('big', { cpuCores: 8, memoryMb: 16384, arch: 'arm64' }),
      node('gone', { cpuCores: 64, memoryMb: 262144, active: false }),
    ];
    const reserved = (id: string) =>
      id === 'big' ? { cpuMillis: 7000, memoryMb: 15000, gpus: 0 } : { cpuMillis: 0, memoryMb: 0, gpus: 0 };
    expect(aggregateResources(activeNodes(nodes), reserved)).toEqual({
      nodes: 3,
      activeNodes: 2,
      cpuMillisTotal: 10000,
      cpuMillisFree: 3000,
      memoryMbTotal: 18432,
      memoryMbFree: 2048 + 1384,
      gpusFree: 0,
      largestNodeFree: { cpuMillis: 2000, memoryMb: 2048, gpus: 0 },
      largestNodeFreeByArch: {
        amd64: { cpuMillis: 2000, memoryMb: 2048, gpus: 0 },
        arm64: { cpuMillis: 1000, memoryMb: 1384, gpus: 0 },
      },
      architectures: ['amd64', 'arm64'],
    });
  });

  it('reports zeros when no node is active', () => {
    const r = aggregateResources(activeNodes([node('x', { active: false })]), () => ({
      cpuMillis: 0,
      memoryMb: 0,
      gpus: 0,
    }));
    expect(r).toMatchObject({
      nodes: 1,
      activeNodes: 0,
      cpuMillisFree: 0,
      largestNodeFree: { cpuMillis: 0, memoryMb: 0, gpus: 0 },
    });
  });
});

describe('per-arch largest node', () => {
  const none = (): { cpuMillis: number; memoryMb: number; gpus: number } => ({ cpuMillis: 0, memoryMb: 0, gpus: 0 });

  it("takes each resource's maximum over the active nodes of each architecture", () => {
    const nodes = [
      node('cpu-heavy', { cpuCores: 16, memoryMb: 2048 }),
      node('mem-heavy', { cpuCores: 2, memoryMb: 65536 }),
      node('gpu', { cpuCores: 4, memoryMb: 4096, gpus: 2 }),
      node('pi', { cpuCores: 4, memoryMb: 4096, arch: 'arm64' }),
      node('pi-off', { cpuCores: 64, memoryMb: 4096, arch: 'arm64', active: false }),
    ];
    const r = aggregateResources(activeNodes(nodes), (id) =>
      id === 'gpu' ? { cpuMillis: 0, memoryMb: 0, gpus: 1 } : none(),
    );
    expect(r.largestNodeFreeByArch).toEqual({
      amd64: { cpuMillis: 16000, memoryMb: 65536, gpus: 1 },
      arm64: { cpuMillis: 4000, memoryMb: 4096, gpus: 0 },
    });
    expect(r.largestNodeFree).toEqual({ cpuMillis: 16000, memoryMb: 65536, gpus: 1 });
    expect(r.architectures).toEqual(['amd64', 'arm64']);
  });

  it('reads the arch a node reports in its heartbeats over the one it registered', () => {
    const live = {
      lastSeen: 1,
      info: { cpuCores: 2, cpuPercent: 0, memoryTotalMb: 1, memoryFreeMb: 1, arch: 'arm64', at: 1 },
    };
    const r = aggregateResources(activeNodes([node('a', { cpuCores: 2, memoryMb: 1024, live })]), none);
    expect(Object.keys(r.largestNodeFreeByArch ?? {})).toEqual(['arm64']);
  });
});

describe('filters read from the spec', () => {
  it('reads arch, node labels (with aerOS realtime), label and arch constraints', () => {
    const request = toPlacementRequest(
      spec({
        arch: 'arm64',
        nodeLabels: { zone: 'a', realtime: 'true' },
        constraints: [{ type: 'label', key: 'disk', value: 'ssd' }],
      }),
    );
    expect(request).toMatchObject({ arch: 'arm64', labels: { zone: 'a', realtime: 'true', disk: 'ssd' } });
    expect(toPlacementRequest(spec({ constraints: [{ type: 'arch', value: 'amd64' }] })).arch).toBe('amd64');
  });

  it("reads Oakestra's geo spelling (lat,long + threshold) too", () => {
    expect(
      toPlacementRequest(spec({ constraints: [{ type: 'geo', location: '48.1,11.5', threshold: 7 }] })).near,
    ).toEqual({ lat: 48.1, long: 11.5, radiusKm: 7 });
  });

  it("places a node without a location of its own at the cluster's location", () => {
    const here = { lat: 48.1, long: 11.5 };
    expect(toCandidate(node('n'), here).location).toEqual(here);
    expect(toCandidate(node('n', { location: '40,10' }), here).location).toEqual({ lat: 40, long: 10 });
  });
});
