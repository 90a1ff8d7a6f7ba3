/**
 * A Canopy node as an aerOS Infrastructure Element (aerOS.md §2.3), in NGSI-LD's simplified
 * format: the attributes aerOS's HLO filters candidates on, with aerOS's units (CPU in percent,
 * RAM in MB) and URN enums. Built by the cluster from registration + heartbeats, sent to the root.
 */
export interface InfrastructureElement {
  /** `urn:ngsi-ld:InfrastructureElement:<domain>:<node name>` unless the node sets NODE_IE_ID. */
  id: string;
  type: 'InfrastructureElement';
  /** The Canopy node name (what `selectedIE.hostname` names). */
  hostname: string;
  /** Canopy's node id at its cluster. */
  nodeId: string;
  /** `urn:ngsi-ld:Domain:<domain>` */
  domain: string;
  containerTechnology: 'Docker';
  cpuCores: number;
  /** percent 0..100 */
  currentCpuUsage: number;
  /** MB */
  ramCapacity: number;
  availableRam: number;
  currentRamUsage: number;
  currentRamUsagePct: number;
  /** `urn:ngsi-ld:CpuArchitecture:x64|arm64|arm32` (or the raw arch after the prefix when unknown) */
  cpuArchitecture: string;
  operatingSystem: 'urn:ngsi-ld:OperatingSystem:Linux';
  realTimeCapable: boolean;
  /** `urn:ngsi-ld:InfrastructureElementStatus:Ready` while the node reports, `...:Unavailable` otherwise */
  infrastructureElementStatus: string;
  /** GeoJSON Point `[long, lat]`, when the node has a location */
  location?: { type: 'Point'; coordinates: [number, number] };
  internalIpAddress?: string;
}
