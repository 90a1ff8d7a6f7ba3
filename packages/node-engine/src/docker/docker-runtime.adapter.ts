import Docker from 'dockerode';
import { DEFAULT_RESOURCE_LIMITS, type ResourceLimits } from '../policy/resource-limits';
import { createOptions } from './docker-create';
import { watchDockerExits } from './docker-exit-watch';
import { demuxDockerLog, logLines } from './docker-log';
import { pullImage } from './docker-pull';
import {
  boundPortsFromInspect,
  boundPortsFromList,
  exitFromStatus,
  labelFilters,
  statusOf,
  toRuntimeError,
  toState,
  usageFromStats,
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

/** `unix:///path` or `tcp://host:port` (the DOCKER_HOST spellings) into dockerode options. */
export function dockerOptionsFromHost(dockerHost: string | undefined): Docker.DockerOptions {
  if (dockerHost === undefined || dockerHost === '') {
    return { socketPath: '/var/run/docker.sock' };
  }
  if (dockerHost.startsWith('unix://')) {
    return { socketPath: dockerHost.slice('unix://'.length) };
  }
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

  async dataRoot(): Promise<string | undefined> {
    const info = (await wrap(() => this.docker.info())) as { DockerRootDir?: string };
    return info.DockerRootDir;
  }

  async imageExists(ref: string): Promise<boolean> {
    try {
      await this.docker.getImage(ref).inspect();
      return true;
    } catch (err) {
      if (statusOf(err) === 404) {
        return false;
      }
      throw toRuntimeError(err);
    }
  }

  async pullImage(ref: string, auth?: RegistryAuth, onProgress?: (percent: number) => void): Promise<void> {
    await pullImage(this.docker, ref, auth, onProgress);
  }

  async createContainer(spec: ContainerCreateSpec): Promise<string> {
    const container = await wrap(() => this.docker.createContainer(createOptions(spec, this.limits)));
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
      if (statusOf(err) === 404) {
        return undefined;
      }
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
      if (status !== 404 && status !== 304) {
        throw toRuntimeError(err);
      }
    }
  }

  async removeContainer(idOrName: string, timeoutSeconds: number): Promise<void> {
    const container = this.docker.getContainer(idOrName);
    try {
      await container.stop({ t: timeoutSeconds });
    } catch (err) {
      // 304: already stopped; 404: already gone. Both are where we want to be.
      const status = statusOf(err);
      if (status === 404) {
        return;
      }
      if (status !== 304) {
        throw toRuntimeError(err);
      }
    }
    try {
      await container.remove({ force: true, v: true });
    } catch (err) {
      if (statusOf(err) !== 404) {
        throw toRuntimeError(err);
      }
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
      if (status === 404 || status === 409) {
        return undefined;
      }
      throw toRuntimeError(err);
    }
    return usageFromStats(stats);
  }

  watchExits(labels: Record<string, string>, onExit: (exit: ContainerExit) => void): Subscription {
    return watchDockerExits(this.docker, labels, onExit);
  }
}
