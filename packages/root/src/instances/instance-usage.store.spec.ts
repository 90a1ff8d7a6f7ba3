import type { InstanceUsageEntry } from '@canopy/schema';
import type { Clock } from '../common/tokens';
import type { InstanceRecord } from '../persistence/records';
import type { Store } from '../persistence/store.port';
import { InstanceUsageStore, USAGE_HISTORY_LENGTH } from './instance-usage.store';

function harness() {
  const instances: Pick<InstanceRecord, 'serviceId' | 'instanceNumber' | 'generation' | 'clusterId' | 'desired'>[] = [];
  let now = Date.parse('2026-01-01T00:00:00Z');
  const store = {
    instances: {
      find: (filter: Partial<InstanceRecord>) =>
        Promise.resolve(instances.filter((i) => i.clusterId === filter.clusterId && i.desired === filter.desired)),
    },
  } as unknown as Store;
  const clock: Clock = { now: () => new Date(now) };
  const usage = new InstanceUsageStore(store, clock);
  const entry = (serviceId: string, instanceNumber: number, more: Partial<InstanceUsageEntry> = {}) => ({
    serviceId,
    instanceNumber,
    generation: 1,
    cpuPercent: 5,
    memoryMb: 10,
    at: 0,
    ...more,
  });
  return { instances, usage, entry, tick: (ms: number) => (now += ms) };
}

describe('InstanceUsageStore', () => {
  it('keeps only instances the root placed on the reporting cluster', async () => {
    const { instances, usage, entry } = harness();
    instances.push({ serviceId: 's1', instanceNumber: 0, clusterId: 'c1', generation: 1, desired: 'running' });
    instances.push({ serviceId: 's2', instanceNumber: 0, clusterId: 'c2', generation: 1, desired: 'running' });
    expect(await usage.record('c1', [entry('s1', 0), entry('s2', 0), entry('s9', 3)])).toBe(1);
    expect(usage.get('s1', 0)?.points).toHaveLength(1);
    expect(usage.get('s2', 0)).toBeUndefined();
  });

  it('bounds the history to the last 100 samples, oldest first', async () => {
    const { instances, usage, entry, tick } = harness();
    instances.push({ serviceId: 's1', instanceNumber: 0, clusterId: 'c1', generation: 1, desired: 'running' });
    for (let k = 0; k < USAGE_HISTORY_LENGTH + 20; k++) {
      tick(1000);
      await usage.record('c1', [entry('s1', 0, { cpuPercent: k })]);
    }
    const points = usage.get('s1', 0)?.points ?? [];
    expect(points).toHaveLength(USAGE_HISTORY_LENGTH);
    expect(points[0]?.cpuPercent).toBe(20);
    expect(points.at(-1)?.cpuPercent).toBe(USAGE_HISTORY_LENGTH + 19);
    expect(Date.parse(points[1]!.timestamp) - Date.parse(points[0]!.timestamp)).toBe(1000);
  });

  it('drops a sample naming a generation the instance does not run, and forgets instances no longer live', async () => {
    const { instances, usage, entry } = harness();
    instances.push({ serviceId: 's1', instanceNumber: 0, clusterId: 'c1', generation: 1, desired: 'running' });
    instances.push({ serviceId: 's1', instanceNumber: 1, clusterId: 'c1', generation: 1, desired: 'running' });
    await usage.record('c1', [entry('s1', 0), entry('s1', 1)]);
    await usage.record('c1', [entry('s1', 0), entry('s1', 1)]);
    // An instance's generation is fixed when it is made: a sample for another one is wrong, and
    // must not replace the real container's history (found by cluster-events-fuzz.int-spec.ts).
    expect(await usage.record('c1', [entry('s1', 0, { generation: 2, cpuPercent: 99 })])).toBe(0);
    expect(usage.get('s1', 0)).toMatchObject({ generation: 1, points: [{ cpuPercent: 5 }, { cpuPercent: 5 }] });
    expect(usage.get('s1', 1)?.points).toHaveLength(2);

    instances[1]!.desired = 'deleted';
    await usage.record('c1', []);
    expect(usage.get('s1', 1)).toBeUndefined();
    expect(usage.size).toBe(1);
  });
});
