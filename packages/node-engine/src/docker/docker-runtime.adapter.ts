import type { Readable } from 'node:stream';
import Docker from 'dockerode';
import { ContainerRuntimeError } from '../errors';
import { describePullFailure } from '../policy/registry-policy';
import { DEFAULT_RESOURCE_LIMITS, effectiveLimits, type ResourceLimits } from '../policy/resource-limits';
import { demuxDockerLog, logLines } from './docker-log';
import { PullProgressTracker, type PullEvent } from './pull-progress';
import {
  boundPortsFromInspect,
  boundPortsFromList,
  exitFromStatus,
  labelFilters,
  parseDieEvent,
  statusOf,
  toRuntimeError,
  toState,
  usageFromStats,
  withDefaultTag,
  wrap,
} from './docker-wire';
import type {
  ContainerCreateSpec,
  ContainerExit,
  ContainerInfo,
  ContainerRuntime,
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

  async stopContainer(idOrName: string, timeoutSeconds: number): Promise<void> {
    try {
      await this.docker.getContainer(idOrName).stop({ t: timeoutSeconds });
    } catch (err) {
      // 304: already stopped; 404: already gone. Both are where we want to be.
      const status = statusOf(err);
      if (status !== 404 && status !== 304) throw toRuntimeError(err);
    }
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

/** A pull failure in our words (see `describePullFailure`): the registry's answer is not repeated. */
function pullError(err: unknown): ContainerRuntimeError {
  const raw = toRuntimeError(err);
  return new ContainerRuntimeError(describePullFailure(raw.message), raw.httpStatus, { cause: err });
}
