import type { InstanceEvent } from './event-stream';
import { SseParser } from './event-stream';
import { ProgressTracker } from './progress';

const ev = (n: number, status: string, detail = '', node?: string): InstanceEvent => ({
  type: 'instance',
  service_id: 's1',
  instance_number: n,
  status,
  detail,
  at: '',
  ...(node !== undefined ? { node } : {}),
});

describe('ProgressTracker', () => {
  it('prints each status once with the time since start and since the previous one, done at RUNNING', () => {
    const t = new ProgressTracker('s1', { instances: [0] }, 1000);
    expect(t.accept(ev(0, 'REQUESTED'), 1000).lines).toEqual(['instance 0: REQUESTED            0ms']);
    expect(t.accept(ev(0, 'REQUESTED'), 1100).lines).toEqual([]);
    expect(t.accept(ev(0, 'CREATING', 'pulling', 'n1'), 2500).lines).toEqual([
      'instance 0: CREATING            1.5s (+1.5s) on n1  pulling',
    ]);
    const last = t.accept(ev(0, 'RUNNING', '', 'n1'), 3000);
    expect(last.lines[0]).toMatch(/^instance 0: RUNNING .* 2\.0s \(\+500ms\) on n1$/);
    expect(last.outcome).toEqual({ done: true, ok: true });
  });

  it('fails with the reason on a failure status', () => {
    const t = new ProgressTracker('s1', { instances: [0] }, 0);
    expect(t.accept(ev(0, 'NO_QUALIFIED_WORKER_FOUND', 'no node named x'), 10).outcome).toEqual({
      done: true,
      ok: false,
      reason: 'instance 0 NO_QUALIFIED_WORKER_FOUND: no node named x',
    });
  });

  it('ignores other services and instances it does not watch', () => {
    const t = new ProgressTracker('s1', { instances: [1] }, 0);
    expect(t.accept({ ...ev(1, 'RUNNING'), service_id: 's2' }, 1).outcome.done).toBe(false);
    expect(t.accept(ev(0, 'FAILED'), 1)).toEqual({ lines: [], outcome: { done: false } });
  });

  it('counts running instances when scaling, including those that ran before', () => {
    const t = new ProgressTracker('s1', { count: 2 }, 0);
    t.seed(0, 'RUNNING');
    expect(t.outcome().done).toBe(false);
    expect(t.accept(ev(1, 'RUNNING'), 5).outcome).toEqual({ done: true, ok: true });
  });

  it('scaling down waits until the extra instances have stopped', () => {
    const t = new ProgressTracker('s1', { count: 1 }, 0);
    t.seed(0, 'RUNNING');
    t.seed(1, 'RUNNING');
    t.seed(2, 'RUNNING');
    expect(t.outcome().done).toBe(false);
    expect(t.accept(ev(2, 'UNDEPLOYED'), 1).outcome.done).toBe(false);
    expect(t.accept(ev(1, 'UNDEPLOYED'), 2).outcome).toEqual({ done: true, ok: true });
  });

  it('scaling to 0 ends when none runs, at once when none ran', () => {
    const idle = new ProgressTracker('s1', { count: 0 }, 0);
    expect(idle.outcome()).toEqual({ done: true, ok: true });
    const t = new ProgressTracker('s1', { count: 0 }, 0);
    t.seed(0, 'RUNNING');
    t.seed(1, 'CREATING');
    expect(t.outcome().done).toBe(false);
    expect(t.accept(ev(0, 'UNDEPLOYED'), 1).outcome.done).toBe(false);
    expect(t.accept(ev(1, 'UNDEPLOYED'), 2).outcome).toEqual({ done: true, ok: true });
  });

  it('a count is not reached while another instance is still on its way up', () => {
    const t = new ProgressTracker('s1', { count: 1 }, 0);
    t.seed(0, 'RUNNING');
    t.seed(1, 'REQUESTED');
    expect(t.outcome().done).toBe(false);
    expect(t.accept(ev(1, 'UNDEPLOYED'), 1).outcome).toEqual({ done: true, ok: true });
  });
});

describe('SseParser', () => {
  it('joins chunks, skips heartbeats and other fields, and splits events on blank lines', () => {
    const p = new SseParser();
    expect(p.push(': connected\n\nevent: instance\nda')).toEqual([]);
    expect(p.push('ta: {"a":1}\n\n: heartbeat\n\ndata: x\r\ndata: y\r\n\r\n')).toEqual(['{"a":1}', 'x\ny']);
  });
});
