import type { ClusterResourcesDto } from '@canopy/schema';
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
  /** Share of the cluster's CPU reserved by the instances placed on it, in percent. */
  aggregated_cpu_percent: number;
  /** Free memory in MB. */
  memory_in_mb: number;
  total_cpu_cores: number;
  /** GPUs free (clusters report no total). */
  total_gpu_cores: number;
  /** What the cluster's node engines run: Docker containers. */
  virtualization: string[];
  /** Seconds since epoch of the last time the cluster was heard, or null. */
  last_modified_timestamp: number | null;
  /** Canopy clusters pair in their handshake: a listed cluster has paired. */
  pairing_complete: boolean;
}

export interface ClusterLiveView {
  active: boolean;
  resources: ClusterResourcesDto | undefined;
  state: ClusterState;
  silentMs: number;
}

export function toClusterView(c: ClusterRecord, live: ClusterLiveView): ClusterView {
  const r = live.resources;
  const lastSeen = c.lastSeenAt === undefined ? Number.NaN : Date.parse(c.lastSeenAt);
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
    aggregated_cpu_percent:
      r === undefined || r.cpuMillisTotal === 0
        ? 0
        : Math.round(((r.cpuMillisTotal - r.cpuMillisFree) / r.cpuMillisTotal) * 1000) / 10,
    memory_in_mb: r?.memoryMbFree ?? 0,
    total_cpu_cores: r === undefined ? 0 : r.cpuMillisTotal / 1000,
    total_gpu_cores: r?.gpusFree ?? 0,
    virtualization: ['docker'],
    last_modified_timestamp: Number.isFinite(lastSeen) ? Math.floor(lastSeen / 1000) : null,
    pairing_complete: true,
  };
}
