import type { Policy } from './types';
import { BERLIN, MUNICH, node, req, runs } from '../test/support/scheduler-cases';

describe.each(runs)('%s', (_label, run) => {
  // Hand-checked scores for request 500m / 512 MB (sum of remaining CPU and memory fractions):
  //   small: 500/1000 + 512/1024           = 1.0
  //   tight: (4000-3000-500)/4000 + (8192-4096-512)/8192 = 0.125 + 0.4375 = 0.5625
  //   roomy: 3500/4000 + 7680/8192          = 0.875 + 0.9375 = 1.8125
  const candidates = [
    node('small', { allocatable: { cpuMillis: 1000, memoryMb: 1024, gpus: 0 }, netRxBps: 10 }),
    node('tight', { netRxBps: 500 }),
    node('roomy', { netRxBps: 20 }),
  ];
  const reserved = { tight: { cpuMillis: 3000, memoryMb: 4096, gpus: 0 } };

  describe('policies', () => {
    it.each<[Policy, string]>([
      ['first-fit', 'small'],
      ['best-fit', 'tight'],
      ['worst-fit', 'roomy'],
      ['most-traffic', 'tight'],
    ])('%s picks %s', (policy, expected) => {
      expect(run(candidates, reserved, req(500, 512), policy)).toEqual({ ok: true, candidateId: expected });
    });

    it('first-fit skips candidates without room, keeping input order', () => {
      expect(run(candidates, reserved, req(1500, 512), 'first-fit')).toEqual({ ok: true, candidateId: 'roomy' });
    });

    it('most-traffic breaks a traffic tie by the most free room', () => {
      const same = candidates.map((c) => ({ ...c, netRxBps: 7 }));
      expect(run(same, reserved, req(500, 512), 'most-traffic')).toEqual({ ok: true, candidateId: 'roomy' });
    });

    it('treats unknown traffic as none', () => {
      const cs = [node('quiet'), node('busy', { netRxBps: 1 })];
      expect(run(cs, {}, req(100, 100), 'most-traffic')).toEqual({ ok: true, candidateId: 'busy' });
    });

    it.each<Policy>(['best-fit', 'worst-fit', 'most-traffic'])(
      '%s breaks score ties by lower cpuPercent, then lower id',
      (policy) => {
        const twins = [node('b', { cpuPercent: 50 }), node('c', { cpuPercent: 10 }), node('a', { cpuPercent: 50 })];
        expect(run(twins, {}, req(100, 100), policy)).toEqual({ ok: true, candidateId: 'c' });
        const calm = twins.map((c) => ({ ...c, cpuPercent: 5 }));
        expect(run(calm, {}, req(100, 100), policy)).toEqual({ ok: true, candidateId: 'a' });
        expect(run([...calm].reverse(), {}, req(100, 100), policy)).toEqual({ ok: true, candidateId: 'a' });
      },
    );

    it('never picks an inactive candidate', () => {
      const cs = [
        node('down', { active: false }),
        node('up', { allocatable: { cpuMillis: 600, memoryMb: 600, gpus: 0 } }),
      ];
      expect(run(cs, {}, req(500, 512), 'worst-fit')).toEqual({ ok: true, candidateId: 'up' });
    });

    it('needs room in every resource, counting reservations', () => {
      const cs = [node('a'), node('b')];
      const r = { a: { cpuMillis: 0, memoryMb: 8000, gpus: 0 }, b: { cpuMillis: 3900, memoryMb: 0, gpus: 0 } };
      expect(run(cs, r, req(100, 192), 'first-fit')).toEqual({ ok: true, candidateId: 'a' });
      expect(run(cs, r, req(100, 193), 'first-fit')).toEqual({ ok: true, candidateId: 'b' });
      expect(run(cs, r, req(101, 193), 'first-fit')).toMatchObject({ ok: false, reason: 'no-capacity' });
    });
  });

  describe('filters', () => {
    const fleet = [
      node('n1', { name: 'edge-a', architectures: ['arm64'], labels: { gpu: 'a100', zone: 'eu' }, location: MUNICH }),
      node('n2', { name: 'edge-b', architectures: ['x86_64'], labels: { zone: 'eu' }, location: BERLIN }),
      node('n3', {
        name: 'edge-c',
        allocatable: { cpuMillis: 4000, memoryMb: 8192, gpus: 2 },
        labels: { zone: 'us' },
      }),
    ];

    it('pins by id or by name', () => {
      expect(run(fleet, {}, req(100, 100, { pinned: ['n2'] }), 'first-fit')).toEqual({ ok: true, candidateId: 'n2' });
      expect(run(fleet, {}, req(100, 100, { pinned: ['edge-c'] }), 'first-fit')).toEqual({
        ok: true,
        candidateId: 'n3',
      });
    });

    it('treats an empty pin list as no pin', () => {
      expect(run(fleet, {}, req(100, 100, { pinned: [] }), 'first-fit')).toEqual({ ok: true, candidateId: 'n1' });
    });

    it('says which name a pin to nothing used', () => {
      const d = run(fleet, {}, req(100, 100, { pinned: ['n7'] }), 'best-fit', { kind: 'node' });
      expect(d).toEqual({
        ok: false,
        reason: 'filtered',
        detail: 'no node named "n7"; known nodes: "edge-a", "edge-b" and "edge-c"',
      });
    });

    it('matches architecture, accepting uname spellings for Docker ones', () => {
      expect(run(fleet, {}, req(100, 100, { arch: 'arm64' }), 'worst-fit')).toEqual({ ok: true, candidateId: 'n1' });
      expect(run(fleet, {}, req(100, 100, { arch: 'amd64' }), 'first-fit')).toEqual({ ok: true, candidateId: 'n2' });
    });

    it('needs every requested label with the same value', () => {
      expect(run(fleet, {}, req(100, 100, { labels: { zone: 'eu', gpu: 'a100' } }), 'worst-fit')).toEqual({
        ok: true,
        candidateId: 'n1',
      });
      expect(run(fleet, {}, req(100, 100, { labels: { zone: 'us' } }), 'worst-fit')).toEqual({
        ok: true,
        candidateId: 'n3',
      });
      expect(run(fleet, {}, req(100, 100, { labels: { constructor: 'x' } }), 'worst-fit')).toMatchObject({
        ok: false,
        reason: 'filtered',
      });
    });

    it('keeps to the radius around `near`; a candidate without location fails it', () => {
      const nearMunich = { ...MUNICH, radiusKm: 100 };
      expect(run(fleet, {}, req(100, 100, { near: nearMunich }), 'worst-fit')).toEqual({
        ok: true,
        candidateId: 'n1',
      });
      const wide = { ...MUNICH, radiusKm: 600 };
      expect(run(fleet, {}, req(100, 100, { near: wide, pinned: ['n2', 'n3'] }), 'worst-fit')).toEqual({
        ok: true,
        candidateId: 'n2',
      });
    });

    it('sends GPU work only to candidates with that many GPUs', () => {
      expect(run(fleet, {}, req(100, 100, {}, 2), 'first-fit')).toEqual({ ok: true, candidateId: 'n3' });
      const d = run(fleet, {}, req(100, 100, {}, 3), 'first-fit', { kind: 'node' });
      expect(d).toEqual({
        ok: false,
        reason: 'filtered',
        detail: 'no active node with at least 3 GPUs (of 3 nodes: 3 with fewer than 3 GPUs)',
      });
    });

    it('names the filters and what each excluded', () => {
      const cs = [...fleet, node('n4', { active: false, architectures: ['arm64'], labels: { gpu: 'a100' } })];
      const d = run(cs, {}, req(100, 100, { arch: 'arm64', labels: { gpu: 'h100' } }), 'best-fit', { kind: 'node' });
      expect(d).toEqual({
        ok: false,
        reason: 'filtered',
        detail:
          'no active node with arch arm64 and labels {gpu: "h100"} ' +
          '(of 4 nodes: 1 inactive, 2 without arch arm64, 1 without those labels)',
      });
    });

    it('reports a far-away fleet with the place and radius', () => {
      const d = run(fleet, {}, req(100, 100, { near: { lat: 40.7, long: -74, radiusKm: 50 } }), 'best-fit', {
        kind: 'node',
      });
      expect(d).toEqual({
        ok: false,
        reason: 'filtered',
        detail: 'no active node within 50 km of (40.7, -74) (of 3 nodes: 3 farther than 50 km or without a location)',
      });
    });
  });

  describe('root tier (largestNodeFree)', () => {
    // Lots of room in total, but no single node can take 2 CPUs.
    const fragmented = node('c1', {
      allocatable: { cpuMillis: 16000, memoryMb: 32768, gpus: 0 },
      largestNodeFree: { cpuMillis: 1500, memoryMb: 4096, gpus: 0 },
    });
    const whole = node('c2', {
      allocatable: { cpuMillis: 4000, memoryMb: 8192, gpus: 0 },
      largestNodeFree: { cpuMillis: 4000, memoryMb: 8192, gpus: 0 },
    });

    it('never picks a cluster whose largest node cannot take the request', () => {
      expect(run([fragmented, whole], {}, req(2000, 512), 'worst-fit', { kind: 'cluster' })).toEqual({
        ok: true,
        candidateId: 'c2',
      });
    });

    it('explains a failure by the largest node', () => {
      expect(run([fragmented], {}, req(2000, 512), 'worst-fit', { kind: 'cluster' })).toEqual({
        ok: false,
        reason: 'no-capacity',
        detail:
          'needs 2000m CPU and 512 MB; most free is 1500m / 4096 MB on c1 (its largest node); ' +
          'none of 1 active cluster has room (release instances, add capacity or lower the request)',
      });
    });
  });

  describe('failures', () => {
    it('no-candidates on an empty list', () => {
      expect(run([], {}, req(1, 1), 'best-fit', { kind: 'cluster' })).toEqual({
        ok: false,
        reason: 'no-candidates',
        detail: 'no cluster is registered yet, so nothing can be placed',
      });
    });

    it('filtered when every candidate is down, with a neutral noun by default', () => {
      const d = run([node('a', { active: false })], {}, req(1, 1), 'best-fit');
      expect(d).toEqual({
        ok: false,
        reason: 'filtered',
        detail: 'no active candidate (of 1 candidate: 1 inactive)',
      });
    });

    it('no-capacity names the request and the candidate closest to fitting', () => {
      const cs = [
        node('node-1', { name: 'node-1', allocatable: { cpuMillis: 4000, memoryMb: 256, gpus: 0 } }),
        node('node-2', { name: 'node-2', allocatable: { cpuMillis: 1500, memoryMb: 4096, gpus: 0 } }),
      ];
      expect(run(cs, {}, req(2000, 512), 'best-fit', { kind: 'node' })).toEqual({
        ok: false,
        reason: 'no-capacity',
        detail:
          'needs 2000m CPU and 512 MB; most free is 1500m / 4096 MB on node-2; ' +
          'none of 2 active nodes has room (release instances, add capacity or lower the request)',
      });
    });

    it('no-capacity for GPUs says how many are free at most', () => {
      const cs = [
        node('g1', { allocatable: { cpuMillis: 4000, memoryMb: 8192, gpus: 2 } }),
        node('g2', { allocatable: { cpuMillis: 4000, memoryMb: 8192, gpus: 4 } }),
      ];
      const r = { g1: { cpuMillis: 0, memoryMb: 0, gpus: 1 }, g2: { cpuMillis: 0, memoryMb: 0, gpus: 4 } };
      expect(run(cs, r, req(100, 100, {}, 2), 'best-fit', { kind: 'node' })).toEqual({
        ok: false,
        reason: 'no-capacity',
        detail:
          'no node has 2 GPUs free (largest: 1 on g1); checked 2 active nodes; release GPU work or add GPU capacity',
      });
    });
  });
});
