import type { BoundPortDto, PortMappingDto } from '@canopy/schema';

/** What the engine asks the container runtime to create; plain data, no Docker types. */
export interface ContainerCreateSpec {
  name: string;
  image: string;
  /** Empty means the image's own CMD. */
  cmd: string[];
  env: string[];
  labels: Record<string, string>;
  ports: PortMappingDto[];
  /** 0 = no limit */
  memoryBytes: number;
  /** 0 = no limit */
  nanoCpus: number;
  privileged: boolean;
  /** GPUs through Docker's device-request API (NVIDIA runtime); 0 = none */
  gpus: number;
  hostNetwork: boolean;
  hostPid: boolean;
  hostIpc: boolean;
  binds: string[];
  capAdd: string[];
}

/** Registry login for one pull; never logged. */
export interface RegistryAuth {
  username: string;
  password: string;
  serveraddress?: string;
}

export interface InstanceStats {
  cpuPercent?: number;
  memoryMb?: number;
}

export type ContainerState = 'created' | 'running' | 'paused' | 'restarting' | 'removing' | 'exited' | 'dead';

export interface ContainerInfo {
  id: string;
  name: string;
  labels: Record<string, string>;
  state: ContainerState;
  exitCode?: number;
  oomKilled?: boolean;
  /** Published ports as the runtime actually bound them. */
  hostPorts: BoundPortDto[];
}

export interface ContainerExit {
  containerId: string;
  exitCode?: number;
}

export interface Subscription {
  close(): void;
}

/**
 * The node engine's only door to the container runtime. The dockerode adapter implements it; the
 * engine never sees Docker's wire types.
 */
export interface ContainerRuntime {
  ping(): Promise<void>;
  /** Docker's data root (`DockerRootDir`): other containers' files, never bound */
  dataRoot(): Promise<string | undefined>;
  imageExists(ref: string): Promise<boolean>;
  /**
   * Pulls until done; rejects with the registry's own message when the pull fails. `onProgress`
   * gets the overall percentage as layers download (not throttled).
   */
  pullImage(ref: string, auth?: RegistryAuth, onProgress?: (percent: number) => void): Promise<void>;
  /** Returns the new container id. Rejects with `httpStatus` 409 when the name is taken. */
  createContainer(spec: ContainerCreateSpec): Promise<string>;
  startContainer(id: string): Promise<void>;
  /** `undefined` when the container does not exist. */
  inspectContainer(idOrName: string): Promise<ContainerInfo | undefined>;
  /** SIGTERM, then SIGKILL after `timeoutSeconds`; a stopped or missing container is fine. */
  stopContainer(idOrName: string, timeoutSeconds: number): Promise<void>;
  /** Stops (SIGTERM, then SIGKILL after `timeoutSeconds`) and removes; a missing container is fine. */
  removeContainer(idOrName: string, timeoutSeconds: number): Promise<void>;
  /** All containers (running or not) carrying every one of the given labels. */
  listContainers(labels: Record<string, string>): Promise<ContainerInfo[]>;
  /** The last `tail` lines of the container's stdout and stderr, interleaved as written. */
  containerLogs(id: string, tail: number): Promise<string[]>;
  /** One reading of Docker's stats API; `undefined` when the container is not running. */
  containerStats(id: string): Promise<InstanceStats | undefined>;
  /** Calls `onExit` for every container carrying the labels that stops; resubscribes if the stream drops. */
  watchExits(labels: Record<string, string>, onExit: (exit: ContainerExit) => void): Subscription;
}
