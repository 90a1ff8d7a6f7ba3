import { InstanceStatus, type ClusterResourcesDto, type InstanceSpecDto } from '@canopy/schema';
import {
  normalizePolicy,
  type Candidate,
  type FailureReason,
  type GeoPoint,
  type PlacementRequest,
  type Policy,
  type Resources,
} from '@canopy/scheduler';
import type { NodeView } from '../nodes/nodes.service';

/** What one instance reserves on its node: CPUs in millicores, memory in MB, GPUs. */
export function requestOf(spec: Pick<InstanceSpecDto, 'vcpus' | 'memoryMb' | 'vgpus'>): Resources {
  return { cpuMillis: Math.round(spec.vcpus * 1000), memoryMb: spec.memoryMb, gpus: spec.vgpus };
}

/** What a node may hand out in total, as it registered (an operator may register less than the machine has). */
export function allocatableOf(node: Pick<NodeView, 'cpuCores' | 'memoryMb' | 'gpus'>): Resources {
  return { cpuMillis: node.cpuCores * 1000, memoryMb: node.memoryMb, gpus: node.gpus };
}

export function toCandidate(node: NodeView): Candidate {
  const location = parseLatLong(node.location);
  return {
    id: node.id,
    name: node.name,
    active: node.active,
    allocatable: allocatableOf(node),
    architectures: [node.live?.info.arch ?? node.arch],
    labels: node.labels,
    ...(location ? { location } : {}),
    ...(node.live?.info.netRxBps !== undefined ? { netRxBps: node.live.info.netRxBps } : {}),
    ...(node.live ? { cpuPercent: node.live.info.cpuPercent } : {}),
  };
}

/**
 * The placement request for one instance. A `direct` constraint with a `node` list pins to those
 * nodes (names or ids, `;`-separated; several such constraints add up). A `direct` constraint that
 * names only a cluster is the root's business: by the time the spec is here, the root chose us.
 * A `geo` constraint (`location: "lat,long,radius_km"`) keeps the instance near a point.
 */
export function toPlacementRequest(spec: InstanceSpecDto): PlacementRequest {
  const request: PlacementRequest = { requests: requestOf(spec) };
  const pinned: string[] = [];
  for (const c of spec.constraints ?? []) {
    const type = c.type.toLowerCase();
    if (type === 'direct' && c.node !== undefined) {
      pinned.push(
        ...c.node
          .split(';')
          .map((s) => s.trim())
          .filter((s) => s !== ''),
      );
    } else if (type === 'geo' && c.location !== undefined) {
      const near = parseNear(c.location);
      if (near) request.near = near;
    }
  }
  if (pinned.length > 0) request.pinned = [...new Set(pinned)];
  return request;
}

/** The policy a spec asks for, in any of the accepted spellings (SPEC §6); undefined when unknown or absent. */
export function toPolicy(raw: string | undefined): Policy | undefined {
  return raw === undefined ? undefined : normalizePolicy(raw);
}

/** Which Oakestra status a failed placement reports. */
export function failureStatus(reason: FailureReason): InstanceStatus {
  switch (reason) {
    case 'no-capacity':
      return InstanceStatus.NO_WORKER_CAPACITY;
    case 'filtered':
    case 'no-candidates':
      return InstanceStatus.NO_QUALIFIED_WORKER_FOUND;
  }
}

/**
 * The cluster's aggregate for the root. Sums cover active nodes only (inactive ones take no work);
 * `largestNodeFree` is one real node's free room — the one with the most free memory, then CPU — so
 * the root never believes a request fits that no single node can take.
 */
export function aggregateResources(
  nodes: readonly NodeView[],
  reserved: (nodeId: string) => Resources,
): ClusterResourcesDto {
  const active = nodes.filter((n) => n.active);
  let cpuTotal = 0;
  let cpuFree = 0;
  let memTotal = 0;
  let memFree = 0;
  let gpusFree = 0;
  let netRx: number | undefined;
  let largest: Resources = { cpuMillis: 0, memoryMb: 0, gpus: 0 };
  const archs = new Set<string>();
  for (const n of active) {
    const alloc = allocatableOf(n);
    const r = reserved(n.id);
    const free: Resources = {
      cpuMillis: Math.max(0, alloc.cpuMillis - r.cpuMillis),
      memoryMb: Math.max(0, alloc.memoryMb - r.memoryMb),
      gpus: Math.max(0, alloc.gpus - r.gpus),
    };
    cpuTotal += alloc.cpuMillis;
    memTotal += alloc.memoryMb;
    cpuFree += free.cpuMillis;
    memFree += free.memoryMb;
    gpusFree += free.gpus;
    archs.add(n.live?.info.arch ?? n.arch);
    const rx = n.live?.info.netRxBps;
    if (rx !== undefined) netRx = (netRx ?? 0) + rx;
    if (
      free.memoryMb > largest.memoryMb ||
      (free.memoryMb === largest.memoryMb && free.cpuMillis > largest.cpuMillis)
    ) {
      largest = free;
    }
  }
  return {
    nodes: nodes.length,
    activeNodes: active.length,
    cpuMillisTotal: cpuTotal,
    cpuMillisFree: cpuFree,
    memoryMbTotal: memTotal,
    memoryMbFree: memFree,
    gpusFree,
    largestNodeFree: largest,
    architectures: [...archs].sort(),
    ...(netRx !== undefined ? { netRxBps: netRx } : {}),
  };
}

function parseLatLong(raw: string | undefined): GeoPoint | undefined {
  if (raw === undefined) return undefined;
  const [lat, long] = raw.split(',').map((s) => Number(s.trim()));
  if (lat === undefined || long === undefined || !Number.isFinite(lat) || !Number.isFinite(long)) return undefined;
  return { lat, long };
}

function parseNear(raw: string): (GeoPoint & { radiusKm: number }) | undefined {
  const parts = raw.split(',').map((s) => Number(s.trim()));
  if (parts.length !== 3 || parts.some((p) => !Number.isFinite(p))) return undefined;
  const [lat, long, radiusKm] = parts as [number, number, number];
  return { lat, long, radiusKm };
}
