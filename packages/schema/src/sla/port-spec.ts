/** One port mapping from an SLA `port` string. A missing `hostPort` lets the node pick a free one. */
export interface PortMapping {
  hostPort?: number;
  containerPort: number;
  protocol: 'tcp' | 'udp';
}

export type PortSpecResult = { ok: true; mappings: PortMapping[] } | { ok: false; message: string };

/**
 * Port entries per microservice. Each is a host port and a proxy on the node (a 100-entry `port`
 * spawned 200); nodes cap it themselves too (NODE_MAX_PORTS, same default).
 */
export const MAX_PORT_ENTRIES = 16;

const ENTRY = /^(?:(\d{1,5}):)?(\d{1,5})(?:\/(tcp|udp))?$/;

function validPort(n: number): boolean {
  return Number.isInteger(n) && n >= 1 && n <= 65535;
}

/**
 * Parses Oakestra's `port` syntax: entries separated by `;`, each `hostPort:containerPort[/proto]`
 * or a bare `containerPort[/proto]`. A bare port is the container's port; the node publishes it on
 * a host port Docker chooses, reported back in the instance status.
 */
export function parsePortSpec(spec: string): PortSpecResult {
  const trimmed = spec.trim();
  if (trimmed === '') return { ok: true, mappings: [] };
  const mappings: PortMapping[] = [];
  const entries = trimmed.split(';');
  if (entries.length > MAX_PORT_ENTRIES) {
    return { ok: false, message: `${entries.length} entries are more than the ${MAX_PORT_ENTRIES} allowed` };
  }
  for (const raw of entries) {
    const entry = raw.trim();
    const match = ENTRY.exec(entry);
    if (!match) {
      return {
        ok: false,
        message: `"${entry}" is not of the form hostPort:containerPort[/tcp|/udp] or port[/tcp|/udp]`,
      };
    }
    const [, host, container, proto] = match;
    const containerPort = Number(container);
    const hostPort = host === undefined ? undefined : Number(host);
    if (!validPort(containerPort) || (hostPort !== undefined && !validPort(hostPort))) {
      return { ok: false, message: `"${entry}" has a port outside 1-65535` };
    }
    const protocol = proto === 'udp' ? 'udp' : 'tcp';
    if (hostPort !== undefined && mappings.some((m) => m.hostPort === hostPort && m.protocol === protocol)) {
      return { ok: false, message: `host port ${hostPort}/${protocol} is mapped twice` };
    }
    mappings.push(hostPort === undefined ? { containerPort, protocol } : { hostPort, containerPort, protocol });
  }
  return { ok: true, mappings };
}
