import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { InstanceUsageCollector, cpuPercent, inactiveFile, parseCpuStatUsec } from './instance-usage.collector';
import { FakeClock } from '@canopy/testing';

describe('instance usage', () => {
  it('computes CPU percent of one core between two samples', () => {
    expect(cpuPercent({ usageNs: 0, at: 0 }, { usageNs: 1e9, at: 2000 })).toBe(50);
    expect(cpuPercent(undefined, { usageNs: 1e9, at: 2000 })).toBeUndefined();
    expect(cpuPercent({ usageNs: 5e9, at: 0 }, { usageNs: 1e9, at: 2000 })).toBeUndefined();
  });

  it('parses cgroup v2 cpu.stat and memory.stat', () => {
    expect(parseCpuStatUsec('usage_usec 1234\nuser_usec 1000\n')).toBe(1234);
    expect(inactiveFile('cache 10\ntotal_inactive_file 4096\n')).toBe(4096);
    expect(inactiveFile(undefined)).toBe(0);
  });

  it('reads cgroup v1 files and falls back to Docker stats, rate limited, when there are none', async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'canopy-cgroup-'));
    try {
      const mem = path.join(root, 'memory', 'docker', 'c1');
      const cpu = path.join(root, 'cpuacct', 'docker', 'c1');
      mkdirSync(mem, { recursive: true });
      mkdirSync(cpu, { recursive: true });
      writeFileSync(path.join(mem, 'memory.usage_in_bytes'), String(12 * 1024 * 1024));
      writeFileSync(path.join(mem, 'memory.stat'), `total_inactive_file ${2 * 1024 * 1024}\n`);
      writeFileSync(path.join(cpu, 'cpuacct.usage'), '1000000000');
      const clock = new FakeClock(0);
      let statsCalls = 0;
      const collector = new InstanceUsageCollector(
        () => {
          statsCalls += 1;
          return Promise.resolve({ cpuPercent: 1, memoryMb: 3 });
        },
        { cgroupRoot: root, fallbackIntervalMs: 10_000, clock },
      );
      const first = await collector.sample(['c1', 'c2']);
      expect(first.get('c1')).toEqual({ memoryMb: 10 });
      expect(first.get('c2')).toEqual({ cpuPercent: 1, memoryMb: 3 });
      clock.advance(2000);
      writeFileSync(path.join(cpu, 'cpuacct.usage'), '1500000000');
      const second = await collector.sample(['c1', 'c2']);
      expect(second.get('c1')).toEqual({ memoryMb: 10, cpuPercent: 25 });
      expect(statsCalls).toBe(1);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
