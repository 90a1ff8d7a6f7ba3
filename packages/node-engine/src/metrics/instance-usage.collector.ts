import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { systemClock } from '@canopy/schema/lite';
import type { Clock } from '@canopy/schema';

export interface InstanceUsage {
  /** percent of one core over the last interval (docker stats' convention: 2 busy cores = 200) */
  cpuPercent?: number;
  memoryMb?: number;
}

/** The slow path: Docker's own stats API (one call per container, so used sparingly). */
export type StatsSource = (containerId: string) => Promise<InstanceUsage | undefined>;

interface CgroupFiles {
  memory: string;
  memoryStat?: string;
  /** cgroup v1 `cpuacct.usage` (ns) or v2 `cpu.stat` (`usage_usec`) */
  cpu: string;
  cpuFormat: 'v1-ns' | 'v2-stat';
}

interface CpuSample {
  usageNs: number;
  at: number;
}

const MB = 1024 * 1024;

/**
 * Per-container CPU and memory, read from the container's cgroup files when the node can see them
 * (three small reads per container, far cheaper than Docker's stats API), else from Docker's stats
 * at most every `fallbackIntervalMs` per container.
 */
export class InstanceUsageCollector {
  private readonly files = new Map<string, CgroupFiles | null>();
  private readonly lastCpu = new Map<string, CpuSample>();
  private readonly fallback = new Map<string, { at: number; usage: InstanceUsage | undefined }>();

  constructor(
    private readonly stats: StatsSource,
    private readonly options: { cgroupRoot?: string; fallbackIntervalMs?: number; clock?: Clock } = {},
  ) {}

  async sample(containerIds: readonly string[]): Promise<Map<string, InstanceUsage>> {
    const wanted = new Set(containerIds);
    for (const map of [this.files, this.lastCpu, this.fallback] as Map<string, unknown>[]) {
      for (const id of map.keys()) {
        if (!wanted.has(id)) {
          map.delete(id);
        }
      }
    }
    const out = new Map<string, InstanceUsage>();
    await Promise.all(
      containerIds.map(async (id) => {
        const usage = await this.sampleOne(id).catch(() => undefined);
        if (usage !== undefined) {
          out.set(id, usage);
        }
      }),
    );
    return out;
  }

  private async sampleOne(id: string): Promise<InstanceUsage | undefined> {
    const files = this.cgroupFiles(id);
    if (files !== null) {
      const usage = this.fromCgroup(id, files);
      if (usage !== undefined) {
        return usage;
      }
      this.files.delete(id); // the cgroup went away (container restarted); look again next time
    }
    return this.fromStats(id);
  }

  private fromCgroup(id: string, files: CgroupFiles): InstanceUsage | undefined {
    const now = (this.options.clock ?? systemClock).now();
    let memoryText: string;
    let cpuText: string;
    let statText: string | undefined;
    // Synchronous on purpose: cgroup files live in memory and read in microseconds, and with 50
    // containers the promise and thread-pool round trips of async reads cost more CPU than the reads.
    try {
      memoryText = readFileSync(files.memory, 'utf8');
      cpuText = readFileSync(files.cpu, 'utf8');
      statText = files.memoryStat === undefined ? undefined : readFileSync(files.memoryStat, 'utf8');
    } catch {
      return undefined;
    }
    const usageNs = files.cpuFormat === 'v1-ns' ? Number(cpuText.trim()) : parseCpuStatUsec(cpuText) * 1000;
    const memoryBytes = Number(memoryText.trim()) - inactiveFile(statText);
    const usage: InstanceUsage = {};
    if (Number.isFinite(memoryBytes)) {
      usage.memoryMb = round1(Math.max(0, memoryBytes) / MB);
    }
    const previous = this.lastCpu.get(id);
    if (Number.isFinite(usageNs)) {
      this.lastCpu.set(id, { usageNs, at: now });
      const cpu = cpuPercent(previous, { usageNs, at: now });
      if (cpu !== undefined) {
        usage.cpuPercent = cpu;
      }
    }
    return usage;
  }

  private async fromStats(id: string): Promise<InstanceUsage | undefined> {
    const now = (this.options.clock ?? systemClock).now();
    const cached = this.fallback.get(id);
    if (cached !== undefined && now - cached.at < (this.options.fallbackIntervalMs ?? 10_000)) {
      return cached.usage;
    }
    const usage = await this.stats(id).catch(() => undefined);
    this.fallback.set(id, { at: now, usage });
    return usage;
  }

  private cgroupFiles(id: string): CgroupFiles | null {
    const known = this.files.get(id);
    if (known !== undefined) {
      return known;
    }
    const root = this.options.cgroupRoot ?? '/sys/fs/cgroup';
    const candidates: CgroupFiles[] = [];
    for (const parent of ['docker', 'system.slice']) {
      const leaf = parent === 'docker' ? id : `docker-${id}.scope`;
      candidates.push({
        memory: path.join(root, 'memory', parent, leaf, 'memory.usage_in_bytes'),
        memoryStat: path.join(root, 'memory', parent, leaf, 'memory.stat'),
        cpu: path.join(root, 'cpuacct', parent, leaf, 'cpuacct.usage'),
        cpuFormat: 'v1-ns',
      });
      candidates.push({
        memory: path.join(root, parent, leaf, 'memory.current'),
        memoryStat: path.join(root, parent, leaf, 'memory.stat'),
        cpu: path.join(root, parent, leaf, 'cpu.stat'),
        cpuFormat: 'v2-stat',
      });
    }
    for (const files of candidates) {
      if (existsSync(files.memory)) {
        this.files.set(id, files);
        return files;
      }
    }
    this.files.set(id, null);
    return null;
  }
}

/** CPU percent of one core between two cumulative usage samples; `undefined` without a usable pair. */
export function cpuPercent(previous: CpuSample | undefined, current: CpuSample): number | undefined {
  if (previous === undefined || current.at <= previous.at || current.usageNs < previous.usageNs) {
    return undefined;
  }
  return round1(((current.usageNs - previous.usageNs) / ((current.at - previous.at) * 1e6)) * 100);
}

/** `usage_usec` from a cgroup v2 `cpu.stat`. */
export function parseCpuStatUsec(text: string): number {
  const match = /^usage_usec (\d+)$/m.exec(text);
  return match?.[1] === undefined ? Number.NaN : Number(match[1]);
}

/** Page cache that can be dropped at once; Docker subtracts it too, so `docker stats` and we agree. */
export function inactiveFile(memoryStat: string | undefined): number {
  if (memoryStat === undefined) {
    return 0;
  }
  const match = /^(?:total_inactive_file|inactive_file) (\d+)$/m.exec(memoryStat);
  return match?.[1] === undefined ? 0 : Number(match[1]);
}

function round1(n: number): number {
  return Math.round(n * 10) / 10;
}
