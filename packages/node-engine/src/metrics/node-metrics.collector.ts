import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import { systemClock } from '@canopy/schema/lite';
import type { Clock, NodeInformation } from '@canopy/schema';

interface CpuSample {
  idle: number;
  total: number;
}

interface NetSample {
  rx: number;
  tx: number;
  at: number;
}

const MB = 1024 * 1024;

/**
 * Node resources for the heartbeat. CPU and network are rates, so each reading is the delta since
 * the previous one; the first reading reports what it can (CPU since boot, no network rate).
 */
export class NodeMetricsCollector {
  private lastCpu: CpuSample | undefined;
  private lastNet: NetSample | undefined;

  constructor(
    private readonly dataDir: string,
    private readonly arch: string,
    private readonly clock: Clock = systemClock,
    private readonly gpus = 0,
  ) {}

  async collect(): Promise<NodeInformation> {
    const at = this.clock.now();
    const [cpuPercent, disk, net] = await Promise.all([this.cpuPercent(), this.disk(), this.netRates(at)]);
    return {
      cpuCores: Math.max(1, os.cpus().length),
      cpuPercent,
      memoryTotalMb: Math.max(1, Math.floor(os.totalmem() / MB)),
      memoryFreeMb: Math.max(0, Math.floor(os.freemem() / MB)),
      ...disk,
      ...net,
      gpus: this.gpus,
      arch: this.arch,
      at,
    };
  }

  private async cpuPercent(): Promise<number> {
    const sample = (await readProcStat()) ?? sampleFromOs();
    const previous = this.lastCpu;
    this.lastCpu = sample;
    const idle = sample.idle - (previous?.idle ?? 0);
    const total = sample.total - (previous?.total ?? 0);
    if (total <= 0) {
      return 0;
    }
    return round1(Math.min(100, Math.max(0, (100 * (total - idle)) / total)));
  }

  private async disk(): Promise<Pick<NodeInformation, 'diskTotalMb' | 'diskFreeMb'>> {
    try {
      const stats = await fs.statfs(this.dataDir);
      return {
        diskTotalMb: Math.floor((stats.blocks * stats.bsize) / MB),
        diskFreeMb: Math.floor((stats.bavail * stats.bsize) / MB),
      };
    } catch {
      return {};
    }
  }

  private async netRates(at: number): Promise<Pick<NodeInformation, 'netRxBps' | 'netTxBps'>> {
    const totals = await readProcNetDev();
    if (totals === undefined) {
      return {};
    }
    const previous = this.lastNet;
    this.lastNet = { ...totals, at };
    if (previous === undefined || at <= previous.at) {
      return { netRxBps: 0, netTxBps: 0 };
    }
    const seconds = (at - previous.at) / 1000;
    // Counters reset when an interface goes away; a negative delta is reported as no traffic.
    return {
      netRxBps: Math.max(0, Math.round((totals.rx - previous.rx) / seconds)),
      netTxBps: Math.max(0, Math.round((totals.tx - previous.tx) / seconds)),
    };
  }
}

/** First line of /proc/stat: `cpu user nice system idle iowait irq softirq steal ...` (jiffies). */
export function parseProcStat(text: string): CpuSample | undefined {
  const line = text.split('\n').find((l) => l.startsWith('cpu '));
  if (line === undefined) {
    return undefined;
  }
  const fields = line.trim().split(/\s+/).slice(1, 9).map(Number);
  if (fields.length < 4 || fields.some((n) => !Number.isFinite(n))) {
    return undefined;
  }
  const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
  return { idle, total: fields.reduce((a, b) => a + b, 0) };
}

/** Sums rx/tx bytes of every interface in /proc/net/dev except loopback. */
export function parseProcNetDev(text: string): { rx: number; tx: number } {
  let rx = 0;
  let tx = 0;
  for (const line of text.split('\n').slice(2)) {
    const colon = line.indexOf(':');
    if (colon < 0) {
      continue;
    }
    const name = line.slice(0, colon).trim();
    if (name === 'lo') {
      continue;
    }
    const cols = line
      .slice(colon + 1)
      .trim()
      .split(/\s+/)
      .map(Number);
    rx += cols[0] ?? 0;
    tx += cols[8] ?? 0;
  }
  return { rx, tx };
}

async function readProcStat(): Promise<CpuSample | undefined> {
  try {
    return parseProcStat(await fs.readFile('/proc/stat', 'utf8'));
  } catch {
    return undefined;
  }
}

async function readProcNetDev(): Promise<{ rx: number; tx: number } | undefined> {
  try {
    return parseProcNetDev(await fs.readFile('/proc/net/dev', 'utf8'));
  } catch {
    return undefined;
  }
}

function sampleFromOs(): CpuSample {
  let idle = 0;
  let total = 0;
  for (const cpu of os.cpus()) {
    idle += cpu.times.idle;
    total += cpu.times.user + cpu.times.nice + cpu.times.sys + cpu.times.idle + cpu.times.irq;
  }
  return { idle, total };
}

function round1(n: number): number {
  return Math.round(n * 10) / 10;
}
