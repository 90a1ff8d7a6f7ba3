import { CandidateTable } from './candidate-table';
import { searchTree } from './placement-search';
import { BLOCK, CPU_TIERS, buildTree, keyOf, tierOf, updateSlot } from './placement-tree';
import type { ReservedSlots } from './schedule-core';
import type { Candidate } from './types';

function node(i: number, cpuMillis: number, memoryMb: number, extra: Partial<Candidate> = {}): Candidate {
  return {
    id: `n${String(i).padStart(3, '0')}`,
    name: `node-${i}`,
    active: true,
    allocatable: { cpuMillis, memoryMb, gpus: 0 },
    architectures: ['amd64'],
    labels: {},
    ...extra,
  };
}

function slotsFor(table: CandidateTable): ReservedSlots {
  const n = table.length;
  return { ids: table.ids, cpu: new Float64Array(n), mem: new Float64Array(n), gpu: new Float64Array(n) };
}

describe('placement tree (pure parts)', () => {
  it('keyOf sums free fractions and counts a resource the candidate lacks as 0', () => {
    expect(keyOf(1000, 2000, 500, 500)).toBe(0.75);
    expect(keyOf(0, 2000, 0, 1000)).toBe(0.5);
  });

  it('tierOf picks the highest threshold a request reaches', () => {
    expect(tierOf(CPU_TIERS, 0)).toBe(0);
    expect(tierOf(CPU_TIERS, 99)).toBe(0);
    expect(tierOf(CPU_TIERS, 100)).toBe(1);
    expect(tierOf(CPU_TIERS, 1e9)).toBe(CPU_TIERS.length - 1);
  });

  it('keeps the root aggregate equal to the roomiest active member, through updates', () => {
    const fleet = Array.from({ length: 5 * BLOCK + 3 }, (_, i) => node(i, 1000 + 100 * i, 4096, { active: i !== 42 }));
    const table = new CandidateTable(fleet);
    const slots = slotsFor(table);
    const tree = buildTree(table, slots)!;
    expect(tree.feasCpu[1]).toBe(1000 + 100 * 41); // 42 is inactive
    slots.cpu[41] = 4000;
    updateSlot(tree, 41);
    expect(tree.feasCpu[1]).toBe(1000 + 100 * 40);
    slots.cpu[41] = Number.NaN;
    updateSlot(tree, 41);
    expect(tree.badSlots.has(41)).toBe(true);
    expect(searchTree(tree, { requests: { cpuMillis: 1, memoryMb: 1, gpus: 0 } }, 'best-fit')).toBeUndefined();
  });

  it('declines tables it cannot order exactly, and requests it cannot decide exactly', () => {
    const odd = new CandidateTable([node(0, 0.5, 1024)]);
    expect(buildTree(odd, slotsFor(odd))).toBeUndefined();
    const nan = new CandidateTable([node(0, 1000, 1024, { cpuPercent: Number.NaN })]);
    expect(buildTree(nan, slotsFor(nan))).toBeUndefined();
    const table = new CandidateTable([node(0, 1000, 1024)]);
    const tree = buildTree(table, slotsFor(table))!;
    expect(searchTree(tree, { requests: { cpuMillis: 1, memoryMb: 1, gpus: 0 } }, 'first-fit')).toBeUndefined();
    expect(searchTree(tree, { requests: { cpuMillis: -1, memoryMb: 1, gpus: 0 } }, 'best-fit')).toBeUndefined();
    const negativeSpread = { requests: { cpuMillis: 1, memoryMb: 1, gpus: 0 }, spread: new Map([['n000', -1]]) };
    expect(searchTree(tree, negativeSpread, 'worst-fit')).toBeUndefined();
  });

  it('finds the tightest and the roomiest fit, -1 when nothing fits, and honours pins by name', () => {
    const fleet = Array.from({ length: 100 }, (_, i) => node(i, 2000, 4096));
    const table = new CandidateTable(fleet);
    const slots = slotsFor(table);
    slots.cpu.forEach((_, i) => (slots.cpu[i] = (i * 37) % 1900));
    const tree = buildTree(table, slots)!;
    const want = { requests: { cpuMillis: 500, memoryMb: 512, gpus: 0 } };
    const best = searchTree(tree, want, 'best-fit')!;
    const fits = [...slots.cpu].map((r, i) => ({ r, i })).filter((x) => 2000 - x.r >= 500);
    expect(slots.cpu[best]).toBe(Math.max(...fits.map((x) => x.r)));
    expect(slots.cpu[searchTree(tree, want, 'worst-fit')!]).toBe(0);
    expect(searchTree(tree, { requests: { cpuMillis: 2001, memoryMb: 1, gpus: 0 } }, 'best-fit')).toBe(-1);
    expect(searchTree(tree, { ...want, pinned: ['node-7'] }, 'worst-fit')).toBe(7);
  });
});
