import { CandidateTable } from './candidate-table';
import { ReservationLedger, ZERO } from './reservation-ledger';
import type { Candidate, PlacementRequest } from './types';

function node(id: string, cpuMillis: number, memoryMb: number, gpus = 0): Candidate {
  return {
    id,
    name: id,
    active: true,
    allocatable: { cpuMillis, memoryMb, gpus },
    architectures: ['amd64'],
    labels: {},
  };
}

const small: PlacementRequest = { requests: { cpuMillis: 300, memoryMb: 100, gpus: 0 } };

describe('ReservationLedger', () => {
  it('sums reservations per candidate and forgets released ones', () => {
    const ledger = new ReservationLedger();
    ledger.reserve('a/1', 'n1', { cpuMillis: 100, memoryMb: 64, gpus: 0 });
    ledger.reserve('a/2', 'n1', { cpuMillis: 200, memoryMb: 128, gpus: 1 });
    ledger.reserve('b/1', 'n2', { cpuMillis: 50, memoryMb: 32, gpus: 0 });
    expect(ledger.reserved('n1')).toEqual({ cpuMillis: 300, memoryMb: 192, gpus: 1 });
    expect(ledger.reserved('n2')).toEqual({ cpuMillis: 50, memoryMb: 32, gpus: 0 });
    expect(ledger.reserved('nobody')).toEqual(ZERO);
    expect(ledger.candidateOf('a/2')).toBe('n1');
    expect(ledger.keysOn('n1').sort()).toEqual(['a/1', 'a/2']);
    expect(ledger.size).toBe(3);

    ledger.release('a/1');
    expect(ledger.reserved('n1')).toEqual({ cpuMillis: 200, memoryMb: 128, gpus: 1 });
    expect(ledger.candidateOf('a/1')).toBeUndefined();
    expect(ledger.has('a/1')).toBe(false);
    ledger.release('a/2');
    expect(ledger.reserved('n1')).toEqual(ZERO);
  });

  it('is idempotent per key: a repeated reserve or release changes nothing', () => {
    const ledger = new ReservationLedger();
    ledger.reserve('k', 'n1', { cpuMillis: 100, memoryMb: 64, gpus: 0 });
    ledger.reserve('k', 'n1', { cpuMillis: 100, memoryMb: 64, gpus: 0 });
    ledger.reserve('k', 'n2', { cpuMillis: 999, memoryMb: 999, gpus: 0 });
    expect(ledger.reserved('n1')).toEqual({ cpuMillis: 100, memoryMb: 64, gpus: 0 });
    expect(ledger.reserved('n2')).toEqual(ZERO);
    ledger.release('k');
    ledger.release('k');
    ledger.release('never-reserved');
    expect(ledger.reserved('n1')).toEqual(ZERO);
    expect(ledger.size).toBe(0);
  });

  it('hands out snapshots: a total read earlier does not change under the reader', () => {
    const ledger = new ReservationLedger();
    ledger.reserve('k1', 'n1', { cpuMillis: 100, memoryMb: 64, gpus: 0 });
    const before = ledger.reserved('n1');
    ledger.reserve('k2', 'n1', { cpuMillis: 100, memoryMb: 64, gpus: 0 });
    expect(before).toEqual({ cpuMillis: 100, memoryMb: 64, gpus: 0 });
  });

  it('copies the reserved amounts, so mutating the request later changes nothing', () => {
    const ledger = new ReservationLedger();
    const r = { cpuMillis: 100, memoryMb: 64, gpus: 0 };
    ledger.reserve('k', 'n1', r);
    r.cpuMillis = 5000;
    ledger.release('k');
    expect(ledger.reserved('n1')).toEqual(ZERO);
  });

  describe.each([
    ['array', (cs: Candidate[]) => cs],
    ['table', (cs: Candidate[]) => new CandidateTable(cs)],
  ])('place on a candidates %s', (_label, wrap) => {
    it('a burst never over-commits: each placement sees the ones before it', () => {
      const ledger = new ReservationLedger();
      const cs = wrap([node('n1', 1000, 1000), node('n2', 700, 1000)]);
      const decisions = Array.from({ length: 6 }, (_, i) => ledger.place(`s/${i}`, cs, small, 'worst-fit'));
      expect(decisions.filter((d) => d.ok)).toHaveLength(5); // 3 on n1, 2 on n2
      expect(decisions[5]).toMatchObject({ ok: false, reason: 'no-capacity' });
      expect(ledger.reserved('n1')).toEqual({ cpuMillis: 900, memoryMb: 300, gpus: 0 });
      expect(ledger.reserved('n2')).toEqual({ cpuMillis: 600, memoryMb: 200, gpus: 0 });
    });

    it('is idempotent: placing a key again returns its candidate and reserves nothing more', () => {
      const ledger = new ReservationLedger();
      const cs = wrap([node('n1', 1000, 1000), node('n2', 1000, 1000)]);
      const first = ledger.place('s/0', cs, small, 'best-fit');
      const again = ledger.place('s/0', cs, small, 'worst-fit');
      expect(first).toEqual({ ok: true, candidateId: 'n1' });
      expect(again).toEqual(first);
      expect(ledger.reserved('n1')).toEqual({ cpuMillis: 300, memoryMb: 100, gpus: 0 });
      expect(ledger.reserved('n2')).toEqual(ZERO);
    });

    it('a release makes room for the next placement', () => {
      const ledger = new ReservationLedger();
      const cs = wrap([node('n1', 600, 1000)]);
      expect(ledger.place('a', cs, small, 'best-fit').ok).toBe(true);
      expect(ledger.place('b', cs, small, 'best-fit').ok).toBe(true);
      expect(ledger.place('c', cs, small, 'best-fit')).toMatchObject({ ok: false, reason: 'no-capacity' });
      ledger.release('a');
      expect(ledger.place('c', cs, small, 'best-fit')).toEqual({ ok: true, candidateId: 'n1' });
    });
  });

  it('stays right when the candidates list changes between placements', () => {
    const ledger = new ReservationLedger();
    const n1 = node('n1', 1000, 1000);
    const n2 = node('n2', 1000, 1000);
    const n3 = node('n3', 1000, 1000);
    expect(ledger.place('a', [n1, n2], small, 'best-fit')).toEqual({ ok: true, candidateId: 'n1' });
    // Reordered, grown, as a table, then as fresh objects with the same ids.
    expect(ledger.place('b', [n3, n2, n1], small, 'best-fit')).toEqual({ ok: true, candidateId: 'n1' });
    expect(ledger.place('c', new CandidateTable([n2, n3]), small, 'worst-fit')).toEqual({
      ok: true,
      candidateId: 'n2',
    });
    const fresh = [n1, n2, n3].map((c) => ({ ...c, allocatable: { ...c.allocatable } }));
    expect(ledger.place('d', fresh, small, 'best-fit')).toEqual({ ok: true, candidateId: 'n1' });
    expect(ledger.reserved('n1')).toEqual({ cpuMillis: 900, memoryMb: 300, gpus: 0 });
    // A candidate mutated in place is read afresh when passed as an array.
    fresh[0]!.active = false;
    expect(ledger.place('e', fresh, small, 'best-fit')).toEqual({ ok: true, candidateId: 'n2' });
  });

  it('tolerates a list that repeats an id (caller bug) without over-committing', () => {
    const ledger = new ReservationLedger();
    const n1 = node('n1', 700, 1000);
    const cs = [n1, n1];
    expect(ledger.place('a', cs, small, 'worst-fit').ok).toBe(true);
    expect(ledger.place('b', cs, small, 'worst-fit').ok).toBe(true);
    expect(ledger.place('c', cs, small, 'worst-fit')).toMatchObject({ ok: false, reason: 'no-capacity' });
  });

  it('a table is a snapshot: changing the source objects later does not change it', () => {
    const ledger = new ReservationLedger();
    const n1 = node('n1', 1000, 1000);
    const table = new CandidateTable([n1]);
    n1.active = false;
    n1.allocatable.cpuMillis = 0;
    expect(ledger.place('a', table, small, 'best-fit')).toEqual({ ok: true, candidateId: 'n1' });
    expect(ledger.place('b', [n1], small, 'best-fit')).toMatchObject({ ok: false, reason: 'filtered' });
  });
});
