import { IE_STATUS_READY, parseLatLong, type ClusterResourcesDto, type InfrastructureElement } from '@canopy/schema';
import type { ClusterRecord } from '../persistence/records';
import type { ClusterState } from './cluster-liveness';

export interface ClusterView {
  /** Oakestra's id shape, beside Canopy's `id`. */
  _id: { $oid: string };
  id: string;
  cluster_name: string;
  cluster_location: string | null;
  active: boolean;
  last_seen: string | null;
  resources: ClusterResourcesDto | null;
  /** `live`, `suspect` (silent for CLUSTER_SUSPECT_MS) or `lost` (silent for CLUSTER_LOST_MS). */
  state: ClusterState;
  /** Seconds since anything arrived from the cluster. */
  silent_s: number;
  // Oakestra's aggregate fields, as its dashboard's cluster pages and `oak c s` read them, derived
  // from the cluster's last resources report (0 before the first one).
  active_nodes: number;
  /**
   * CPU in use on the cluster's ready nodes, in percent, as their node engines measured it (the
   * mean of the nodes' usage weighted by their cores), as Oakestra's nodes report theirs. A cluster
   * that sends no per-node figures (older than IEs) gives the share reserved by its instances.
   */
  aggregated_cpu_percent: number;
  /**
   * Memory available in MB on the cluster's ready nodes, as measured (the dashboard's "Memory
   * Available"); without per-node figures, what is not reserved.
   */
  memory_in_mb: number;
  total_cpu_cores: number;
  /** GPUs free (clusters report no total). */
  total_gpu_cores: number;
  /** What the cluster's node engines run: Docker containers. */
  virtualization: string[];
  /**
   * Seconds since epoch of the last time anything arrived from the cluster (while it is connected),
   * else of its last connection; null if it never connected.
   */
  last_modified_timestamp: number | null;
  /**
   * Canopy clusters pair in their handshake: true once the cluster has connected; false for one an
   * admin registered (`POST /api/clusters`) that has not dialled in yet.
   */
  pairing_complete: boolean;
  /** The older dashboard's cluster page: its location split, when it is `lat,long` (else null). */
  cluster_latitude: string | null;
  cluster_longitude: string | null;
}

export interface ClusterLiveView {
  active: boolean;
  resources: ClusterResourcesDto | undefined;
  state: ClusterState;
  silentMs: number;
  /** The cluster's nodes as it last reported them; undefined when it sends none. */
  nodes?: readonly InfrastructureElement[] | undefined;
  /** ms since epoch, the root's clock. */
  now: number;
}

/** Core-weighted CPU use and available memory of the ready nodes, from their own measurements. */
function measured(nodes: readonly InfrastructureElement[]): { cpuPercent: number; memoryMb: number } {
  const ready = nodes.filter((n) => n.infrastructureElementStatus === IE_STATUS_READY);
  const cores = ready.reduce((sum, n) => sum + n.cpuCores, 0);
  const busy = ready.reduce((sum, n) => sum + n.currentCpuUsage * n.cpuCores, 0);
  return {
    cpuPercent: cores === 0 ? 0 : Math.round((busy / cores) * 10) / 10,
    memoryMb: ready.reduce((sum, n) => sum + n.availableRam, 0),
  };
}

function reservedCpuPercent(r: ClusterResourcesDto | undefined): number {
  return r === undefined || r.cpuMillisTotal === 0
    ? 0
    : Math.round(((r.cpuMillisTotal - r.cpuMillisFree) / r.cpuMillisTotal) * 1000) / 10;
}

export function toClusterView(c: ClusterRecord, live: ClusterLiveView): ClusterView {
  const r = live.resources;
  // While connected the root hears the cluster every heartbeat; `lastSeenAt` is its last connection.
  const lastSeen = live.active
    ? live.now - live.silentMs
    : c.lastSeenAt === undefined
      ? Number.NaN
      : Date.parse(c.lastSeenAt);
  const usage = live.nodes === undefined ? undefined : measured(live.nodes);
  const where = parseLatLong(c.location);
  return {
    _id: { $oid: c.id },
    id: c.id,
    cluster_name: c.name,
    cluster_location: c.location ?? null,
    active: live.active,
    last_seen: c.lastSeenAt ?? null,
    resources: r ?? null,
    state: live.state,
    silent_s: Math.floor(live.silentMs / 1000),
    active_nodes: r?.activeNodes ?? 0,
    aggregated_cpu_percent: usage?.cpuPercent ?? reservedCpuPercent(r),
    memory_in_mb: usage?.memoryMb ?? r?.memoryMbFree ?? 0,
    total_cpu_cores: r === undefined ? 0 : r.cpuMillisTotal / 1000,
    total_gpu_cores: r?.gpusFree ?? 0,
    virtualization: ['docker'],
    last_modified_timestamp: Number.isFinite(lastSeen) ? Math.floor(lastSeen / 1000) : null,
    pairing_complete: c.lastSeenAt !== undefined,
    cluster_latitude: where === undefined ? null : String(where.lat),
    cluster_longitude: where === undefined ? null : String(where.long),
  };
}
