import type { Readable } from 'node:stream';
import Docker from 'dockerode';
import type { BoundPortDto } from '@canopy/schema';
import { ContainerRuntimeError } from '../errors';
import { describePullFailure } from '../policy/registry-policy';
import { DEFAULT_RESOURCE_LIMITS, effectiveLimits, type ResourceLimits } from '../policy/resource-limits';
import { demuxDockerLog, logLines } from './docker-log';
import { PullProgressTracker, type PullEvent } from './pull-progress';
import type {
  ContainerCreateSpec,
  ContainerExit,
  ContainerInfo,
  ContainerRuntime,
  ContainerState,
  InstanceStats,
  RegistryAuth,
  Subscription,
} from './container-runtime.port';

const RESUBSCRIBE_DELAY_MS = 1000;

/** `unix:///path` or `tcp://host:port` (the DOCKER_HOST spellings) into dockerode options. */
export function dockerOptionsFromHost(dockerHost: string | undefined): Docker.DockerOptions {
  if (dockerHost === undefined || dockerHost === '') return { socketPath: '/var/run/docker.sock' };
  if (dockerHost.startsWith('unix://')) return { socketPath: dockerHost.slice('unix://'.length) };
  const url = new URL(dockerHost.replace(/^tcp:/, 'http:'));
  return { host: url.hostname, port: Number(url.port || 2375), protocol: 'http' };
}

/** The only code that speaks dockerode. Translates Docker's wire shapes to the runtime port. */
export class DockerRuntimeAdapter implements ContainerRuntime {
  private readonly docker: Docker;

  constructor(
    dockerHost?: string,
    private readonly limits: ResourceLimits = DEFAULT_RESOURCE_LIMITS,
  ) {
    this.docker = new Docker(dockerOptionsFromHost(dockerHost));
  }

  async ping(): Promise<void> {
    await wrap(() => this.docker.ping());
  }

  async imageExists(ref: string): Promise<boolean> {
    try {
      await this.docker.getImage(ref).inspect();
      return true;
    } catch (err) {
      if (statusOf(err) === 404) return false;
      throw toRuntimeError(err);
    }
  }

  async pullImage(ref: string, auth?: RegistryAuth, onProgress?: (percent: number) => void): Promise<void> {
    const options = auth === undefined ? {} : { authconfig: { ...auth } };
    let stream: Readable;
    try {
      stream = await wrap(() => this.docker.pull(withDefaultTag(ref), options) as Promise<Readable>);
    } catch (err) {
      throw pullError(err);
    }
    const progress = new PullProgressTracker();
    await new Promise<void>((resolve, reject) => {
      // Docker answers 200 and then reports registry failures inside the progress stream, so the
      // last `error` line is the verdict, not the HTTP status.
      let streamError: string | undefined;
      this.docker.modem.followProgress(
        stream,
        (err: Error | null) => {
          if (err) reject(pullError(err));
          else if (streamError !== undefined) reject(new ContainerRuntimeError(describePullFailure(streamError)));
          else resolve();
        },
        (event: PullEvent) => {
          if (event.error !== undefined) streamError = event.errorDetail?.message ?? event.error;
          const percent = progress.update(event);
          if (percent !== undefined) onProgress?.(percent);
        },
      );
    });
  }

  async createContainer(spec: ContainerCreateSpec): Promise<string> {
    const exposed: Record<string, object> = {};
    const bindings: Record<string, { HostPort: string }[]> = {};
    for (const port of spec.ports) {
      const key = `${port.containerPort}/${port.protocol}`;
      exposed[key] = {};
      // An empty HostPort lets Docker pick a free ephemeral port.
      (bindings[key] ??= []).push({ HostPort: port.hostPort === undefined ? '' : String(port.hostPort) });
    }
    const limits = effectiveLimits(spec, this.limits);
    const container = await wrap(() =>
      this.docker.createContainer({
        name: spec.name,
        Image: spec.image,
        ...(spec.cmd.length > 0 ? { Cmd: spec.cmd } : {}),
        Env: spec.env,
        Labels: spec.labels,
        ExposedPorts: exposed,
        HostConfig: {
          PortBindings: bindings,
          // Always limited (see resource-limits.ts): 0 in a descriptor is the node's default, not "unlimited".
          Memory: limits.memoryBytes,
          NanoCpus: limits.nanoCpus,
          PidsLimit: limits.pidsLimit,
          Privileged: spec.privileged,
          // Canopy restarts crashed containers itself (with backoff, reporting each restart), so
          // Docker must not race it.
          RestartPolicy: { Name: 'no' },
          ...(spec.gpus > 0
            ? { DeviceRequests: [{ Driver: 'nvidia', Count: spec.gpus, Capabilities: [['gpu']] }] }
            : {}),
          ...(spec.hostNetwork ? { NetworkMode: 'host' } : {}),
          ...(spec.hostPid ? { PidMode: 'host' } : {}),
          ...(spec.hostIpc ? { IpcMode: 'host' } : {}),
          ...(spec.binds.length > 0 ? { Binds: spec.binds } : {}),
          ...(spec.capAdd.length > 0 ? { CapAdd: spec.capAdd } : {}),
        },
      }),
    );
    return container.id;
  }

  async startContainer(id: string): Promise<void> {
    await wrap(() => this.docker.getContainer(id).start());
  }

  async inspectContainer(idOrName: string): Promise<ContainerInfo | undefined> {
    let info: Docker.ContainerInspectInfo;
    try {
      info = await this.docker.getContainer(idOrName).inspect();
    } catch (err) {
      if (statusOf(err) === 404) return undefined;
      throw toRuntimeError(err);
    }
    const running = info.State.Running || info.State.Restarting;
    return {
      id: info.Id,
      name: info.Name.replace(/^\//, ''),
      labels: info.Config.Labels ?? {},
      state: toState(info.State.Status),
      ...(running ? {} : { exitCode: info.State.ExitCode, oomKilled: info.State.OOMKilled }),
      hostPorts: boundPortsFromInspect(info.NetworkSettings.Ports ?? {}),
    };
  }

  async removeContainer(idOrName: string, timeoutSeconds: number): Promise<void> {
    const container = this.docker.getContainer(idOrName);
    try {
      await container.stop({ t: timeoutSeconds });
    } catch (err) {
      // 304: already stopped; 404: already gone. Both are where we want to be.
      const status = statusOf(err);
      if (status === 404) return;
      if (status !== 304) throw toRuntimeError(err);
    }
    try {
      await container.remove({ force: true, v: true });
    } catch (err) {
      if (statusOf(err) !== 404) throw toRuntimeError(err);
    }
  }

  async listContainers(labels: Record<string, string>): Promise<ContainerInfo[]> {
    const list = await wrap(() => this.docker.listContainers({ all: true, filters: { label: labelFilters(labels) } }));
    return list.map((c) => ({
      id: c.Id,
      name: (c.Names[0] ?? '').replace(/^\//, ''),
      labels: c.Labels ?? {},
      state: toState(c.State),
      ...exitFromStatus(c.State, c.Status),
      hostPorts: boundPortsFromList(c.Ports),
    }));
  }

  async containerLogs(id: string, tail: number): Promise<string[]> {
    const raw: unknown = await wrap(() =>
      this.docker.getContainer(id).logs({ stdout: true, stderr: true, tail, follow: false }),
    );
    const buffer = Buffer.isBuffer(raw) ? raw : Buffer.from(String(raw));
    return logLines(demuxDockerLog(buffer), tail);
  }

  async containerStats(id: string): Promise<InstanceStats | undefined> {
    let stats: Docker.ContainerStats;
    try {
      stats = await this.docker.getContainer(id).stats({ stream: false });
    } catch (err) {
      const status = statusOf(err);
      if (status === 404 || status === 409) return undefined;
      throw toRuntimeError(err);
    }
    return usageFromStats(stats);
  }

  watchExits(labels: Record<string, string>, onExit: (exit: ContainerExit) => void): Subscription {
    let closed = false;
    let stream: Readable | undefined;
    let timer: NodeJS.Timeout | undefined;
    let since: number | undefined;

    const subscribe = (): void => {
      if (closed) return;
      const opts: Docker.GetEventsOptions = {
        filters: { type: ['container'], event: ['die'], label: labelFilters(labels) },
        ...(since === undefined ? {} : { since }),
      };
      this.docker.getEvents(opts).then(
        (s) => {
          stream = s as Readable;
          if (closed) {
            stream.destroy();
            return;
          }
          let buffer = '';
          stream.on('data', (chunk: Buffer) => {
            buffer += chunk.toString('utf8');
            let newline: number;
            while ((newline = buffer.indexOf('\n')) >= 0) {
              const line = buffer.slice(0, newline).trim();
              buffer = buffer.slice(newline + 1);
              const exit = parseDieEvent(line);
              if (exit !== undefined) onExit(exit);
            }
          });
          const again = (): void => {
            // Replay from the moment the stream dropped; duplicates are harmless, the handler is idempotent.
            since = Math.floor(Date.now() / 1000) - 1;
            scheduleResubscribe();
          };
          stream.once('end', again);
          stream.once('error', again);
        },
        () => {
          scheduleResubscribe();
        },
      );
    };
    const scheduleResubscribe = (): void => {
      if (closed || timer !== undefined) return;
      timer = setTimeout(() => {
        timer = undefined;
        subscribe();
      }, RESUBSCRIBE_DELAY_MS);
    };

    subscribe();
    return {
      close: () => {
        closed = true;
        if (timer !== undefined) clearTimeout(timer);
        stream?.removeAllListeners('end');
        stream?.removeAllListeners('error');
        stream?.on('error', () => undefined);
        stream?.destroy();
      },
    };
  }
}

/** docker stats' own formula: container CPU delta over system CPU delta, times online CPUs. */
function usageFromStats(stats: Docker.ContainerStats): InstanceStats | undefined {
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

function parseDieEvent(line: string): ContainerExit | undefined {
  if (line === '') return undefined;
  try {
    const event = JSON.parse(line) as { Action?: string; Actor?: { ID?: string; Attributes?: Record<string, string> } };
    const id = event.Actor?.ID;
    if (event.Action !== 'die' || id === undefined) return undefined;
    const code = Number(event.Actor?.Attributes?.exitCode);
    return { containerId: id, ...(Number.isInteger(code) ? { exitCode: code } : {}) };
  } catch {
    return undefined;
  }
}

function labelFilters(labels: Record<string, string>): string[] {
  return Object.entries(labels).map(([k, v]) => `${k}=${v}`);
}

function withDefaultTag(ref: string): string {
  if (ref.includes('@')) return ref;
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

function toState(state: string): ContainerState {
  return STATES.has(state) ? (state as ContainerState) : 'dead';
}

/** `docker ps` only carries the exit code inside its human status text: "Exited (3) 5 seconds ago". */
function exitFromStatus(state: string, status: string): { exitCode?: number } {
  if (state !== 'exited') return {};
  const match = /^Exited \((-?\d+)\)/.exec(status);
  return match?.[1] === undefined ? {} : { exitCode: Number(match[1]) };
}

function boundPortsFromInspect(ports: Record<string, { HostIp: string; HostPort: string }[] | null>): BoundPortDto[] {
  const out: BoundPortDto[] = [];
  for (const [key, bindings] of Object.entries(ports)) {
    const [port, proto] = key.split('/');
    const binding = bindings?.[0];
    if (binding === undefined || (proto !== 'tcp' && proto !== 'udp')) continue;
    out.push({ containerPort: Number(port), hostPort: Number(binding.HostPort), protocol: proto });
  }
  return out.sort((a, b) => a.containerPort - b.containerPort);
}

function boundPortsFromList(ports: Docker.Port[]): BoundPortDto[] {
  const seen = new Map<string, BoundPortDto>();
  for (const p of ports) {
    if (p.PublicPort === undefined || (p.Type !== 'tcp' && p.Type !== 'udp')) continue;
    const key = `${p.PrivatePort}/${p.Type}`;
    // Docker lists one entry per address family (0.0.0.0 and ::) for the same binding.
    if (!seen.has(key)) seen.set(key, { containerPort: p.PrivatePort, hostPort: p.PublicPort, protocol: p.Type });
  }
  return [...seen.values()].sort((a, b) => a.containerPort - b.containerPort);
}

function statusOf(err: unknown): number | undefined {
  if (typeof err === 'object' && err !== null && 'statusCode' in err && typeof err.statusCode === 'number') {
    return err.statusCode;
  }
  return undefined;
}

/** Docker's own sentence (`json.message`) is what an operator wants in status_detail. */
/** A pull failure in our words (see `describePullFailure`): the registry's answer is not repeated. */
function pullError(err: unknown): ContainerRuntimeError {
  const raw = toRuntimeError(err);
  return new ContainerRuntimeError(describePullFailure(raw.message), raw.httpStatus, { cause: err });
}

function toRuntimeError(err: unknown): ContainerRuntimeError {
  if (err instanceof ContainerRuntimeError) return err;
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

async function wrap<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw toRuntimeError(err);
  }
}
