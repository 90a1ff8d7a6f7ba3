import { InstanceStatus, type InstanceReportDto } from '@canopy/schema';
import { OUTBOX_CHANGES_PER_INSTANCE, RootOutbox } from './root-outbox';

const key = { serviceId: 's1', instanceNumber: 0, generation: 1 };
const r = (status: InstanceStatus, detail?: string): InstanceReportDto => ({
  ...key,
  status,
  ...(detail === undefined ? {} : { status_detail: detail }),
});

describe('RootOutbox', () => {
  it('keeps every transition in order while the root is away (a crash and a restart both go up)', () => {
    const o = new RootOutbox();
    o.report(r(InstanceStatus.RUNNING));
    o.report(r(InstanceStatus.DEAD, 'exit 1, restarting'));
    o.report(r(InstanceStatus.RUNNING));
    expect(o.snapshot().map((x) => x.status)).toEqual(['RUNNING', 'DEAD', 'RUNNING']);
    expect(o.size).toBe(3);
  });

  it('a report with the same status as the last queued one replaces it', () => {
    const o = new RootOutbox();
    o.report(r(InstanceStatus.DEAD, 'a'));
    o.report(r(InstanceStatus.DEAD, 'b'));
    expect(o.snapshot()).toEqual([r(InstanceStatus.DEAD, 'b')]);
  });

  it('delivered drops exactly the report sent; one queued meanwhile stays', () => {
    const o = new RootOutbox();
    o.report(r(InstanceStatus.RUNNING));
    const [sent] = o.snapshot();
    o.report(r(InstanceStatus.DEAD));
    o.delivered(sent!);
    expect(o.snapshot().map((x) => x.status)).toEqual(['DEAD']);
    o.delivered(o.snapshot()[0]!);
    expect(o.size).toBe(0);
  });

  it('is bounded per instance: the oldest kept change says how many were dropped', () => {
    const o = new RootOutbox();
    for (let i = 0; i < OUTBOX_CHANGES_PER_INSTANCE + 10; i++) {
      o.report(r(i % 2 === 0 ? InstanceStatus.RUNNING : InstanceStatus.DEAD, `n${i}`));
    }
    const queued = o.snapshot();
    expect(queued).toHaveLength(OUTBOX_CHANGES_PER_INSTANCE);
    expect(o.size).toBe(OUTBOX_CHANGES_PER_INSTANCE);
    expect(queued[0]!.status_detail).toBe('(10 earlier changes not kept while the root was away, last DEAD) n10');
    expect(queued.at(-1)!.status_detail).toBe(`n${OUTBOX_CHANGES_PER_INSTANCE + 9}`);
  });
});
