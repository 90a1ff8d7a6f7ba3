import { SyncRotation } from './sync-rotation';

const ids = (n: number): string[] => Array.from({ length: n }, (_, i) => `n${i}`);

describe('SyncRotation', () => {
  it('walks every node once per period, an even slice per tick', () => {
    const rotation = new SyncRotation(1000);
    const all = ids(150);
    const seen: string[] = [];
    const perTick: number[] = [];
    for (let t = 0; t < 15_000; t += 1000) {
      const slice = rotation.due(t, 15_000, () => all);
      perTick.push(slice.length);
      seen.push(...slice);
    }
    expect(seen).toEqual(all);
    expect(perTick).toEqual(Array.from({ length: 15 }, () => 10));
  });

  it('starts the next round only once the period has passed, reading the ids again', () => {
    const rotation = new SyncRotation(1000);
    let reads = 0;
    const source = (): string[] => {
      reads++;
      return ids(reads === 1 ? 3 : 4);
    };
    const at = (t: number): readonly string[] => rotation.due(t, 3000, source);
    expect([...at(0), ...at(1000), ...at(2000)]).toEqual(['n0', 'n1', 'n2']);
    expect(reads).toBe(1);
    // A late tick finishes nothing new; the second round (a node registered meanwhile) begins at 3 s.
    expect(at(2500)).toEqual([]);
    expect([...at(3000), ...at(4000), ...at(5000)]).toEqual(['n0', 'n1', 'n2', 'n3']);
    expect(reads).toBe(2);
  });

  it('takes a longer period (a slower report pace) as fewer per tick', () => {
    const rotation = new SyncRotation(1000);
    const all = ids(600);
    expect(rotation.due(0, 60_000, () => all)).toHaveLength(10);
    expect(rotation.due(1000, 60_000, () => all)).toHaveLength(10);
  });

  it('catches up after a tick that came late, without skipping anyone', () => {
    const rotation = new SyncRotation(1000);
    const all = ids(100);
    const first = rotation.due(0, 10_000, () => all);
    const late = rotation.due(5000, 10_000, () => all);
    expect(first).toHaveLength(10);
    expect(late).toEqual(all.slice(10, 60));
  });

  it('syncs everyone each tick when the period is no longer than a tick', () => {
    const rotation = new SyncRotation(1000);
    const all = ids(5);
    expect(rotation.due(0, 500, () => all)).toEqual(all);
    expect(rotation.due(1000, 500, () => all)).toEqual(all);
  });
});
