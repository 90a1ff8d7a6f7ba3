import type { NodeInformation } from '@canopy/schema';
import pino from 'pino';
import { NodeLiveness } from './node-liveness';

const info = {} as NodeInformation;
const settings = { livenessMs: 10_000, lostMs: 60_000, tickMs: 1_000 };

/** Heartbeats every 2 s from `alive` and a check every second, from `from` to `to`. */
function run(l: NodeLiveness, nodes: string[], alive: Set<string>, from: number, to: number) {
  const inactive: string[] = [];
  const lost: string[] = [];
  for (let t = from; t <= to; t += 1_000) {
    if (t % 2_000 === 0) {
      for (const n of alive) {
        l.heartbeat(n, info, t);
      }
    }
    const v = l.check(nodes, t);
    inactive.push(...v.inactive);
    lost.push(...v.lost);
  }
  return { inactive, lost };
}

describe('NodeLiveness', () => {
  const log = pino({ level: 'silent' });

  it('shows a silent node inactive after the liveness window and lost after NODE_LOST_MS when others report', () => {
    const l = new NodeLiveness(settings, log);
    const nodes = ['a', 'b', 'c'];
    run(l, nodes, new Set(nodes), 0, 10_000);
    const after = run(l, nodes, new Set(['b', 'c']), 11_000, 80_000);
    expect(after.inactive).toEqual(['a']);
    expect(after.lost).toEqual(['a']);
    expect(l.isLost('a')).toBe(true);
    expect(l.mode(80_000).disrupted).toBe(false);
  });

  it('judges a node that says it reports less often (control/pace, a restart ago) by a window scaled to it', () => {
    const l = new NodeLiveness({ ...settings, livenessMs: 8000, baseIntervalMs: 2000, maxIntervalMs: 16_000 }, log);
    const slow = { reportIntervalMs: 8000 } as NodeInformation;
    const ages = { reportIntervalMs: 600_000 } as NodeInformation;
    l.heartbeat('slow', slow, 0);
    l.heartbeat('steady', info, 0);
    l.heartbeat('capped', ages, 0);
    // 8 s window at 2 s; 32 s at 8 s; the cap (16 s) gives 64 s whatever a node claims.
    const wentInactive = new Map<string, number>();
    for (let t = 1000; t <= 70_000; t += 1000) {
      for (const id of l.check(['slow', 'steady', 'capped'], t).inactive) {
        wentInactive.set(id, t);
      }
    }
    expect(Object.fromEntries(wentInactive)).toEqual({ steady: 9000, slow: 33_000, capped: 65_000 });
  });

  it('declares nothing lost while most nodes are silent together (full disruption), and says so', () => {
    const l = new NodeLiveness(settings, log);
    const nodes = ['a', 'b', 'c'];
    run(l, nodes, new Set(nodes), 0, 10_000);
    const during = run(l, nodes, new Set(['c']), 11_000, 200_000);
    expect(during.inactive.sort()).toEqual(['a', 'b']);
    expect(during.lost).toEqual([]);
    expect(l.mode(200_000)).toEqual({ disrupted: true, silentNodes: 2 });
    // One comes back: a single silent node out of three is no disruption; its lost-timer restarts.
    const healed = run(l, nodes, new Set(['b', 'c']), 201_000, 300_000);
    expect(l.mode(300_000).disrupted).toBe(false);
    expect(healed.lost).toEqual(['a']);
  });

  it('a lone node silent is a disruption too: it is never declared lost', () => {
    const l = new NodeLiveness(settings, log);
    run(l, ['a'], new Set(['a']), 0, 4_000);
    const v = run(l, ['a'], new Set(), 5_000, 300_000);
    expect(v.inactive).toEqual(['a']);
    expect(v.lost).toEqual([]);
  });

  it('after its own pause it judges no node by the gap: the heartbeats read after the resume count', () => {
    const l = new NodeLiveness(settings, log);
    const nodes = ['a', 'b'];
    run(l, nodes, new Set(nodes), 0, 10_000);
    // Paused for 90 s: no check, no heartbeat read. The first check after the resume comes first.
    const resumed = l.check(nodes, 100_000);
    expect(resumed).toEqual({ inactive: [], lost: [] });
    expect(l.isActive('a', 100_000)).toBe(true);
    expect(l.mode(100_000).graceUntil).toBe(110_000);
    // The queued heartbeats are read; nothing ever went inactive.
    const after = run(l, nodes, new Set(nodes), 100_000, 130_000);
    expect(after).toEqual({ inactive: [], lost: [] });
  });

  it('after a pause a node that really stopped is shown inactive one liveness window later', () => {
    const l = new NodeLiveness(settings, log);
    const nodes = ['a', 'b', 'c'];
    run(l, nodes, new Set(nodes), 0, 10_000);
    l.check(nodes, 100_000);
    const after = run(l, nodes, new Set(['b', 'c']), 100_000, 112_000);
    expect(after.inactive).toEqual(['a']);
  });

  it('counts a node never heard since start from the first check, not from zero', () => {
    const l = new NodeLiveness(settings, log);
    const nodes = ['a', 'b', 'c'];
    const v = run(l, nodes, new Set(['b', 'c']), 1_000_000, 1_050_000);
    expect(v.lost).toEqual([]);
    expect(run(l, nodes, new Set(['b', 'c']), 1_051_000, 1_070_000).lost).toEqual(['a']);
  });
});
