import type Docker from 'dockerode';
import { effectiveLimits, type ResourceLimits } from '../policy/resource-limits';
import type { ContainerCreateSpec } from './container-runtime.port';

/** The runtime port's container spec as Docker's create options: ports, limits, and the host access a node allows. */
export function createOptions(spec: ContainerCreateSpec, defaults: ResourceLimits): Docker.ContainerCreateOptions {
  const exposed: Record<string, object> = {};
  const bindings: Record<string, { HostPort: string }[]> = {};
  for (const port of spec.ports) {
    const key = `${port.containerPort}/${port.protocol}`;
    exposed[key] = {};
    // An empty HostPort lets Docker pick a free ephemeral port.
    (bindings[key] ??= []).push({ HostPort: port.hostPort === undefined ? '' : String(port.hostPort) });
  }
  const limits = effectiveLimits(spec, defaults);
  return {
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
      ...(spec.gpus > 0 ? { DeviceRequests: [{ Driver: 'nvidia', Count: spec.gpus, Capabilities: [['gpu']] }] } : {}),
      ...(spec.hostNetwork ? { NetworkMode: 'host' } : {}),
      ...(spec.hostPid ? { PidMode: 'host' } : {}),
      ...(spec.hostIpc ? { IpcMode: 'host' } : {}),
      ...(spec.binds.length > 0 ? { Binds: spec.binds } : {}),
      ...(spec.capAdd.length > 0 ? { CapAdd: spec.capAdd } : {}),
    },
  };
}
