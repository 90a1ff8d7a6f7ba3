import {
  InstanceStatus,
  parseLatLong,
  placementFiltersOf,
  type ClusterResourcesDto,
  type InstanceSpecDto,
} from '@canopy/schema';
import {
  normalizePolicy,
  type Candidate,
  type FailureReason,
  type GeoPoint,
  type PlacementRequest,
  type Policy,
  type Resources,
} from '@canopy/scheduler';
import type { NodeLiveState, NodeView } from '../nodes/nodes.service';
import type { NodeRecord } from '../persistence/cluster.repository';

/** What one instance reserves on its node: CPUs in millicores, memory in MB, GPUs. */
export function requestOf(spec: Pick<InstanceSpecDto, 'vcpus' | 'memoryMb' | 'vgpus'>): Resources {
  return { cpuMillis: Math.round(spec.vcpus * 1000), memoryMb: spec.memoryMb, gpus: spec.vgpus };
}

/** What a node may hand out in total, as it registered (an operator may register less than the machine has). */
export function allocatableOf(node: Pick<NodeView, 'cpuCores' | 'memoryMb' | 'gpus'>): Resources {
  return { cpuMillis: node.cpuCores * 1000, memoryMb: node.memoryMb, gpus: node.gpus };
}

/**
 * A node as the scheduler sees it. Its location is the one it registered, else the cluster's
 * (`CLUSTER_LOCATION`): the nodes of an edge cluster sit where the cluster sits, so a geo constraint
 * that admits the cluster admits its nodes unless they say otherwise.
 */
export function toCandidate(node: NodeView, clusterLocation?: GeoPoint): Candidate {
  const location = parseLatLong(node.location) ?? clusterLocation;
  return {
    id: node.id,
    name: node.name,
    active: node.active,
    allocatable: allocatableOf(node),
    architectures: [archOf(node)],
    labels: node.labels,
    ...(location ? { location: { lat: location.lat, long: location.long } } : {}),
    ...(node.live?.info.netRxBps !== undefined ? { netRxBps: node.live.info.netRxBps } : {}),
    ...(node.live ? { cpuPercent: node.live.info.cpuPercent } : {}),
  };
}

/** What the node says it is in its heartbeats, else what it registered as. */
function archOf(node: Pick<NodeView, 'arch' | 'live'>): string {
  return node.live?.info.arch ?? node.arch;
}

/**
 * The placement request for one instance (filters read as at the root, by `placementFiltersOf`).
 * A `direct` constraint's `node` list pins to those nodes (names or ids, `;`-separated; several
 * such constraints add up). A `direct` constraint that names only a cluster is the root's
 * business: by the time the spec is here, the root chose us. `arch`, node labels (`nodeLabels`,
 * `label` constraints, aerOS `realtime`) and a `geo` area filter the nodes.
 */
export function toPlacementRequest(spec: InstanceSpecDto): PlacementRequest {
  const request: PlacementRequest = { requests: requestOf(spec) };
  const filters = placementFiltersOf(spec);
  if (filters.nodes !== undefined) {
    request.pinned = filters.nodes;
  }
  if (filters.arch !== undefined) {
    request.arch = filters.arch;
  }
  if (filters.labels !== undefined) {
    request.labels = filters.labels;
  }
  if (filters.near !== undefined) {
    request.near = filters.near;
  }
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

/** What the aggregate reads: how many nodes are registered, and each active one with its last heartbeat. */
export interface ActiveNodes {
  readonly size: number;
  forEachActive(visit: (node: NodeRecord, live: NodeLiveState) => void): void;
}

/**
 * The cluster's aggregate for the root. Sums cover active nodes only (inactive ones take no work).
 * `largestNodeFree` holds, per resource, the most that any single active node has free (and
 * `largestNodeFreeByArch` the same over the nodes of each architecture): a request above any of
 * these numbers fits no node here, whatever the sums say, so the root passes this cluster over.
 * Why per resource and not one real node's numbers: one node's vector would make the root turn a
 * cluster down when its roomiest-in-memory node is short of CPU but another node has both; the
 * per-resource maxima never turn down a cluster where a node fits. A request that fits the maxima
 * but no single node (CPU on one node, memory on another) is refused here, by the cluster
 * scheduler, with NO_WORKER_CAPACITY and the numbers.
 */
export function aggregateResources(nodes: ActiveNodes, reserved: (nodeId: string) => Resources): ClusterResourcesDto {
  let active = 0;
  let cpuTotal = 0;
  let cpuFree = 0;
  let memTotal = 0;
  let memFree = 0;
  let gpusFree = 0;
  let netRx: number | undefined;
  const largest: Resources = { cpuMillis: 0, memoryMb: 0, gpus: 0 };
  const byArch = new Map<string, Resources>();
  nodes.forEachActive((n, live) => {
    active++;
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
    const rx = live.info.netRxBps;
    if (rx !== undefined) {
      netRx = (netRx ?? 0) + rx;
    }
    maxInto(largest, free);
    const arch = live.info.arch;
    const ofArch = byArch.get(arch);
    if (ofArch === undefined) {
      byArch.set(arch, { ...free });
    } else {
      maxInto(ofArch, free);
    }
  });
  const archs = [...byArch.keys()].sort();
  const largestNodeFreeByArch: Record<string, Resources> = {};
  for (const arch of archs) {
    largestNodeFreeByArch[arch] = byArch.get(arch) as Resources;
  }
  return {
    nodes: nodes.size,
    activeNodes: active,
    cpuMillisTotal: cpuTotal,
    cpuMillisFree: cpuFree,
    memoryMbTotal: memTotal,
    memoryMbFree: memFree,
    gpusFree,
    largestNodeFree: largest,
    largestNodeFreeByArch,
    architectures: archs,
    ...(netRx !== undefined ? { netRxBps: netRx } : {}),
  };
}

function maxInto(into: Resources, free: Resources): void {
  into.cpuMillis = Math.max(into.cpuMillis, free.cpuMillis);
  into.memoryMb = Math.max(into.memoryMb, free.memoryMb);
  into.gpus = Math.max(into.gpus, free.gpus);
}
