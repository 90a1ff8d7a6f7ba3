import type { InstanceSpecDto } from '@canopy/schema';
import { loadClusterConfig } from '../config/cluster-config';
import type { NodeView } from '../nodes/nodes.service';
import { SchedulingService, USAGE_REFRESH_MS, type NodeSource } from './scheduling.service';
import { FakeClock, instanceSpec } from '@canopy/testing';
import { nodeView } from '../../test/support/node-view';

/** The smaller node these tests size their requests against. */
const twoCoreNode = (id: string, overrides: Partial<NodeView> = {}): NodeView =>
  nodeView(id, { cpuCores: 2, memoryMb: 4096, ...overrides });

/** A typed stand-in for the node registry: versions move as NodesService moves them. */
class FakeNodes implements NodeSource {
  topologyVersion = 0;
  usageVersion = 0;
  lists = 0;
  silent = new Set<string>();
  constructor(public nodes: NodeView[]) {}
  list(): NodeView[] {
    this.lists++;
    return this.nodes.map((n) => ({ ...n, active: n.active && !this.silent.has(n.id) }));
  }
  isActive(nodeId: string): boolean {
    return !this.silent.has(nodeId) && this.nodes.some((n) => n.id === nodeId && n.active);
  }
  heartbeat(id: string, netRxBps: number): void {
    const n = this.nodes.find((x) => x.id === id) as NodeView;
    n.live = {
      lastSeen: 0,
      info: { cpuCores: 2, cpuPercent: 0, memoryTotalMb: 4096, memoryFreeMb: 4096, arch: 'amd64', netRxBps, at: 0 },
    };
    this.usageVersion++;
  }
}

function spec(instanceNumber: number, extra: Partial<InstanceSpecDto> = {}): InstanceSpecDto {
  return instanceSpec('svc', { instanceNumber, memoryMb: 100, vcpus: 1, ...extra });
}

function service(
  config: { placementPolicy?: 'best-fit' | 'worst-fit' | 'first-fit' | 'most-traffic'; clusterLocation?: string } = {},
  clock = new FakeClock(),
): SchedulingService {
  return new SchedulingService({ placementPolicy: 'best-fit', ...config }, clock);
}

describe('SchedulingService', () => {
  it('never over-commits a node during a burst of placements', () => {
    const scheduling = service();
    const nodes = new FakeNodes([twoCoreNode('n1')]);
    const decisions = [0, 1, 2].map((n) => scheduling.place(spec(n), nodes));
    expect(decisions.map((d) => d.ok)).toEqual([true, true, false]);
    expect(decisions[2]).toMatchObject({ ok: false, reason: 'no-capacity' });
    expect(scheduling.reserved('n1')).toEqual({ cpuMillis: 2000, memoryMb: 200, gpus: 0 });
  });

  it('counts each new placement decision by result, not the answers for instances already placed', () => {
    const scheduling = service();
    const nodes = new FakeNodes([twoCoreNode('n1')]);
    expect([...scheduling.placementCounts()]).toEqual([
      ['placed', 0],
      ['no_capacity', 0],
      ['filtered', 0],
      ['no_candidates', 0],
    ]);
    [0, 1, 2].forEach((n) => scheduling.place(spec(n), nodes));
    scheduling.place(spec(0), nodes);
    expect(Object.fromEntries(scheduling.placementCounts())).toEqual({
      placed: 2,
      no_capacity: 1,
      filtered: 0,
      no_candidates: 0,
    });
  });

  it('frees room when a placement is released, and restores reservations read back from storage', () => {
    const scheduling = service();
    const nodes = [twoCoreNode('n1')];
    scheduling.restore(spec(0), 'n1');
    scheduling.restore(spec(0), 'n1'); // at-least-once: the same key twice reserves once
    expect(scheduling.place(spec(1), nodes).ok).toBe(true);
    expect(scheduling.place(spec(2), nodes).ok).toBe(false);
    scheduling.release(spec(0));
    expect(scheduling.place(spec(2), nodes).ok).toBe(true);
  });

  it('lands a direct node pin and a label constraint on the right node, and says why when nothing qualifies', () => {
    const scheduling = service();
    const nodes = new FakeNodes([
      twoCoreNode('a', { name: 'alpha', labels: { zone: 'a' } }),
      twoCoreNode('b', { name: 'beta', labels: { zone: 'b', realtime: 'true' } }),
    ]);
    expect(scheduling.place(spec(0, { constraints: [{ type: 'direct', node: 'beta' }] }), nodes)).toEqual({
      ok: true,
      candidateId: 'b',
    });
    expect(scheduling.place(spec(1, { nodeLabels: { zone: 'a' } }), nodes)).toEqual({ ok: true, candidateId: 'a' });
    expect(scheduling.place(spec(2, { nodeLabels: { realtime: 'true' } }), nodes)).toEqual({
      ok: true,
      candidateId: 'b',
    });
    const none = scheduling.place(spec(3, { vgpus: 2 }), nodes);
    expect(none).toMatchObject({ ok: false, reason: 'filtered' });
    expect(!none.ok && none.detail).toContain('at least 2 GPUs');
    const nowhere = scheduling.place(spec(4, { constraints: [{ type: 'direct', node: 'gamma' }] }), nodes);
    expect(!nowhere.ok && nowhere.detail).toContain('no node named "gamma"; known nodes: "alpha" and "beta"');
  });

  it("uses the cluster's default policy unless the spec names one", () => {
    const nodes = [twoCoreNode('small', { cpuCores: 2 }), twoCoreNode('big', { cpuCores: 8 })];
    expect(service().place(spec(0), nodes)).toEqual({ ok: true, candidateId: 'small' });
    expect(service({ placementPolicy: 'worst-fit' }).place(spec(0), nodes)).toEqual({ ok: true, candidateId: 'big' });
    expect(service({ placementPolicy: 'worst-fit' }).place(spec(0, { placementPolicy: 'best_fit' }), nodes)).toEqual({
      ok: true,
      candidateId: 'small',
    });
  });

  it('reads CLUSTER_PLACEMENT_POLICY in any accepted spelling and refuses an unknown one', () => {
    expect(loadClusterConfig({ CLUSTER_TOKEN: 't' }).placementPolicy).toBe('best-fit');
    expect(loadClusterConfig({ CLUSTER_TOKEN: 't', CLUSTER_PLACEMENT_POLICY: 'traffic-most' }).placementPolicy).toBe(
      'most-traffic',
    );
    expect(() => loadClusterConfig({ CLUSTER_TOKEN: 't', CLUSTER_PLACEMENT_POLICY: 'random' })).toThrow(
      /CLUSTER_PLACEMENT_POLICY: must be one of best-fit/,
    );
  });

  it('matches a geo constraint against the cluster location for nodes that have none', () => {
    const munich = service({ clusterLocation: '48.14,11.58' });
    const nodes = [twoCoreNode('n1')];
    const near = spec(0, { constraints: [{ type: 'geo', location: '48.2,11.6,20' }] });
    expect(munich.place(near, nodes)).toEqual({ ok: true, candidateId: 'n1' });
    const far = spec(1, { constraints: [{ type: 'geo', location: '52.52,13.40', threshold: 50 }] });
    expect(munich.place(far, nodes)).toMatchObject({ ok: false, reason: 'filtered' });
  });

  it('rebuilds its node table when the node set changes, and for usage at most once per refresh period', () => {
    const clock = new FakeClock();
    const scheduling = service({ placementPolicy: 'most-traffic' }, clock);
    const nodes = new FakeNodes([twoCoreNode('a', { cpuCores: 64 }), twoCoreNode('b', { cpuCores: 64 })]);
    nodes.heartbeat('a', 100);
    expect(scheduling.place(spec(0, { vcpus: 0 }), nodes)).toEqual({ ok: true, candidateId: 'a' });
    expect(scheduling.tableRebuilds).toBe(1);

    // b's traffic overtakes a's, but within the refresh period the table stays (usage only orders).
    nodes.heartbeat('b', 5000);
    clock.advance(USAGE_REFRESH_MS / 2);
    expect(scheduling.place(spec(1, { vcpus: 0 }), nodes)).toEqual({ ok: true, candidateId: 'a' });
    expect(scheduling.tableRebuilds).toBe(1);

    clock.advance(USAGE_REFRESH_MS);
    expect(scheduling.place(spec(2, { vcpus: 0 }), nodes)).toEqual({ ok: true, candidateId: 'b' });
    expect(scheduling.tableRebuilds).toBe(2);
    for (let i = 3; i < 50; i++) {
      scheduling.place(spec(i, { vcpus: 0 }), nodes);
    }
    expect(scheduling.tableRebuilds).toBe(2);

    // A new node is placement news: rebuilt at once.
    nodes.nodes.push(twoCoreNode('c', { cpuCores: 64 }));
    nodes.topologyVersion++;
    nodes.heartbeat('c', 9000);
    expect(scheduling.place(spec(60, { vcpus: 0 }), nodes)).toEqual({ ok: true, candidateId: 'c' });
    expect(scheduling.tableRebuilds).toBe(3);
  });

  it('never places on a node that fell silent since the table was built', () => {
    const scheduling = service({ placementPolicy: 'first-fit' });
    const nodes = new FakeNodes([twoCoreNode('a'), twoCoreNode('b')]);
    expect(scheduling.place(spec(0, { vcpus: 0 }), nodes)).toEqual({ ok: true, candidateId: 'a' });
    nodes.silent.add('a'); // liveness check not run yet: topology version unchanged
    expect(scheduling.place(spec(1, { vcpus: 0 }), nodes)).toEqual({ ok: true, candidateId: 'b' });
    expect(scheduling.reserved('a')).toEqual({ cpuMillis: 0, memoryMb: 100, gpus: 0 });
    expect(scheduling.reserved('b')).toEqual({ cpuMillis: 0, memoryMb: 100, gpus: 0 });
  });
});
