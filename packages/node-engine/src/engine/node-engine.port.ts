import type { ContainerRuntime } from '../docker/container-runtime.port';
import type { EngineClock } from './clock.port';

/** The engine's side effects that a caller may supply; production defaults when left out. */
export interface NodeEnginePorts {
  /** default: the real clock and timers */
  clock?: EngineClock;
  /** default: the Docker engine at `config.dockerSocket` */
  runtime?: ContainerRuntime;
}

export interface NodeEngineHandle {
  nodeId: string;
  /** Disconnects from the cluster and Docker. It never stops containers: they keep serving. */
  stop(): Promise<void>;
}
