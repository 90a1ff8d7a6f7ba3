import type Docker from 'dockerode';
import type { BoundPortDto } from '@canopy/schema';
import { ContainerRuntimeError } from '../errors';
import type { ContainerExit, ContainerState, InstanceStats } from './container-runtime.port';

/* Docker's wire types into the runtime port's plain data, and Docker's errors into ours. */

/** docker stats' own formula: container CPU delta over system CPU delta, times online CPUs. */
export function usageFromStats(stats: Docker.ContainerStats): InstanceStats | undefined {
  const out: InstanceStats = {};
  const mem = stats.memory_stats as { usage?: number; stats?: Record<string, number> } | undefined;
  if (mem?.usage !== undefined) {
    const inactive = mem.stats?.total_inactive_file ?? mem.stats?.inactive_file ?? 0;
    out.memoryMb = Math.round(((mem.usage - inactive) / (1024 * 1024)) * 10) / 10;
  }
  const cpu = stats.cpu_stats;
  const pre = stats.precpu_stats;
  const cpuDelta = cpu.cpu_usage.total_usage - (pre.cpu_usage?.total_usage ?? 0);
  const systemDelta = (cpu.system_cpu_usage ?? 0) - (pre.system_cpu_usage ?? 0);
  const cores = cpu.online_cpus ?? cpu.cpu_usage.percpu_usage?.length ?? 1;
  if (systemDelta > 0 && cpuDelta >= 0 && pre.system_cpu_usage !== undefined) {
    out.cpuPercent = Math.round((cpuDelta / systemDelta) * cores * 1000) / 10;
  }
  return out;
}

export function parseDieEvent(line: string): ContainerExit | undefined {
  if (line === '') {
    return undefined;
  }
  try {
    const event = JSON.parse(line) as { Action?: string; Actor?: { ID?: string; Attributes?: Record<string, string> } };
    const id = event.Actor?.ID;
    if (event.Action !== 'die' || id === undefined) {
      return undefined;
    }
    const code = Number(event.Actor?.Attributes?.exitCode);
    return { containerId: id, ...(Number.isInteger(code) ? { exitCode: code } : {}) };
  } catch {
    return undefined;
  }
}

export function labelFilters(labels: Record<string, string>): string[] {
  return Object.entries(labels).map(([k, v]) => `${k}=${v}`);
}

export function withDefaultTag(ref: string): string {
  if (ref.includes('@')) {
    return ref;
  }
  const lastSegment = ref.slice(ref.lastIndexOf('/') + 1);
  return lastSegment.includes(':') ? ref : `${ref}:latest`;
}

const STATES: ReadonlySet<string> = new Set<ContainerState>([
  'created',
  'running',
  'paused',
  'restarting',
  'removing',
  'exited',
  'dead',
]);

export function toState(state: string): ContainerState {
  return STATES.has(state) ? (state as ContainerState) : 'dead';
}

/** `docker ps` only carries the exit code inside its human status text: "Exited (3) 5 seconds ago". */
export function exitFromStatus(state: string, status: string): { exitCode?: number } {
  if (state !== 'exited') {
    return {};
  }
  const match = /^Exited \((-?\d+)\)/.exec(status);
  return match?.[1] === undefined ? {} : { exitCode: Number(match[1]) };
}

export function boundPortsFromInspect(
  ports: Record<string, { HostIp: string; HostPort: string }[] | null>,
): BoundPortDto[] {
  const out: BoundPortDto[] = [];
  for (const [key, bindings] of Object.entries(ports)) {
    const [port, proto] = key.split('/');
    const binding = bindings?.[0];
    if (binding === undefined || (proto !== 'tcp' && proto !== 'udp')) {
      continue;
    }
    out.push({ containerPort: Number(port), hostPort: Number(binding.HostPort), protocol: proto });
  }
  return out.sort((a, b) => a.containerPort - b.containerPort);
}

export function boundPortsFromList(ports: Docker.Port[]): BoundPortDto[] {
  const seen = new Map<string, BoundPortDto>();
  for (const p of ports) {
    if (p.PublicPort === undefined || (p.Type !== 'tcp' && p.Type !== 'udp')) {
      continue;
    }
    const key = `${p.PrivatePort}/${p.Type}`;
    // Docker lists one entry per address family (0.0.0.0 and ::) for the same binding.
    if (!seen.has(key)) {
      seen.set(key, { containerPort: p.PrivatePort, hostPort: p.PublicPort, protocol: p.Type });
    }
  }
  return [...seen.values()].sort((a, b) => a.containerPort - b.containerPort);
}

export function statusOf(err: unknown): number | undefined {
  if (typeof err === 'object' && err !== null && 'statusCode' in err && typeof err.statusCode === 'number') {
    return err.statusCode;
  }
  return undefined;
}

/** Docker's own sentence (`json.message`) is what an operator wants in status_detail. */
export function toRuntimeError(err: unknown): ContainerRuntimeError {
  if (err instanceof ContainerRuntimeError) {
    return err;
  }
  // docker-modem wraps Docker's sentence as "(HTTP code 500) server error - <sentence> ".
  let message = (err instanceof Error ? err.message : String(err)).replace(/^\(HTTP code \d+\) [^-]*- /, '').trim();
  if (typeof err === 'object' && err !== null && 'json' in err) {
    const json = (err as { json?: unknown }).json;
    if (typeof json === 'object' && json !== null && 'message' in json && typeof json.message === 'string') {
      message = json.message;
    }
  }
  return new ContainerRuntimeError(message, statusOf(err), { cause: err });
}

export async function wrap<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw toRuntimeError(err);
  }
}
