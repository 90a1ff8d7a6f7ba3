import type { Policy } from './types';
import { node, req, runs } from '../test/support/scheduler-cases';

describe.each(runs)('spread (%s)', (_label, run) => {
  const three = [node('a'), node('b'), node('c')];
  const none = {};

  it.each<Policy>(['first-fit', 'best-fit', 'worst-fit', 'most-traffic'])(
    '%s prefers a candidate holding none of the service',
    (policy) => {
      const spread = new Map([
        ['a', 2],
        ['b', 1],
      ]);
      expect(run(three, none, req(100, 64, { spread }), policy)).toEqual({ ok: true, candidateId: 'c' });
    },
  );

  it('prefers the candidate holding fewest when every one holds some', () => {
    const spread = new Map([
      ['a', 2],
      ['b', 1],
      ['c', 3],
    ]);
    expect(run(three, none, req(100, 64, { spread }), 'first-fit')).toEqual({ ok: true, candidateId: 'b' });
    expect(run(three, none, req(100, 64, { spread }), 'worst-fit')).toEqual({ ok: true, candidateId: 'b' });
  });

  it('is soft: packs onto the candidate that already holds replicas when nothing else has room', () => {
    const full = { b: { cpuMillis: 4000, memoryMb: 0, gpus: 0 }, c: { cpuMillis: 4000, memoryMb: 0, gpus: 0 } };
    const spread = new Map([['a', 5]]);
    expect(run(three, full, req(100, 64, { spread }), 'best-fit')).toEqual({ ok: true, candidateId: 'a' });
  });

  it('never overrides a filter: a pinned candidate is chosen however many it holds', () => {
    const spread = new Map([['a', 9]]);
    expect(run(three, none, req(100, 64, { spread, pinned: ['a'] }), 'best-fit')).toEqual({
      ok: true,
      candidateId: 'a',
    });
  });

  it('breaks ties among equally loaded candidates by the policy', () => {
    const spread = new Map([['c', 1]]);
    const reserved = { a: { cpuMillis: 3000, memoryMb: 0, gpus: 0 } };
    expect(run(three, reserved, req(100, 64, { spread }), 'best-fit')).toEqual({ ok: true, candidateId: 'a' });
    expect(run(three, reserved, req(100, 64, { spread }), 'worst-fit')).toEqual({ ok: true, candidateId: 'b' });
  });
});
