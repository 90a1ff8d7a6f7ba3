// class-transformer's @Type reads Reflect metadata while the class is being declared, so the
// polyfill must be loaded first whichever module is imported first.
import 'reflect-metadata';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsNumber,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import { REALTIME_LABEL, parseLatLong } from '../sla/placement-constraints';
import { IE_ID_MAX_LENGTH, IE_ID_PATTERN } from './ie-id';

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

/** The id prefix aerOS's data model uses for IEs. */
export const IE_ID_PREFIX = 'urn:ngsi-ld:InfrastructureElement:';
/**
 * The short spelling found in older aerOS LLO code and examples ("BUG in LLO naming", aerOS.md §6);
 * aerOS's own HLO rewrites one into the other, so Canopy treats them as the same id.
 */
export const IE_SHORT_ID_PREFIX = 'urn:ngsi-ld:IE:';
export const IE_DOMAIN_PREFIX = 'urn:ngsi-ld:Domain:';
export const IE_CPU_ARCH_PREFIX = 'urn:ngsi-ld:CpuArchitecture:';
export const IE_STATUS_READY = 'urn:ngsi-ld:InfrastructureElementStatus:Ready';
/**
 * Not Ready, so aerOS's HLO filter (`infrastructureElementStatus==...:Ready`, aerOS.md §4.4) skips it.
 * aerOS publishes no closed list of the other values; this one says what Canopy knows: the node is
 * silent (stopped, rebooting, cut off) or its cluster is not connected to the root.
 */
export const IE_STATUS_UNAVAILABLE = 'urn:ngsi-ld:InfrastructureElementStatus:Unavailable';
export const IE_OPERATING_SYSTEM_LINUX = 'urn:ngsi-ld:OperatingSystem:Linux';

export { IE_ID_MAX_LENGTH, IE_ID_PATTERN } from './ie-id';
/**
 * The most IEs one cluster reports. They travel inside every resources report over Socket.IO (the
 * root accepts 4 MB per message); at about 700 bytes each, 1000 keep a report well under 1 MB.
 */
export const MAX_INFRASTRUCTURE_ELEMENTS_PER_CLUSTER = 1000;

/** A CLUSTER_DOMAIN value: a bare domain name, or aerOS's full `urn:ngsi-ld:Domain:<name>`. */
export const IE_DOMAIN_NAME_PATTERN = /^(urn:ngsi-ld:Domain:)?[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;

/** `urn:ngsi-ld:InfrastructureElement:<domain>:<node name>`: the id of a node that configures none. */
export function defaultInfrastructureElementId(domain: string, nodeName: string): string {
  return `${IE_ID_PREFIX}${domain}:${nodeName}`;
}

/**
 * aerOS's CPU architecture URN for a Docker/Node architecture name. aerOS knows `x64`, `arm64` and
 * `arm32`; anything else keeps its own name after the prefix (characters outside `[A-Za-z0-9_.-]`
 * become `_`, so the result stays one URN token).
 */
export function cpuArchitectureUrn(arch: string): string {
  const a = arch.trim().toLowerCase();
  switch (a) {
    case 'amd64':
    case 'x86_64':
    case 'x64':
      return `${IE_CPU_ARCH_PREFIX}x64`;
    case 'arm64':
    case 'aarch64':
      return `${IE_CPU_ARCH_PREFIX}arm64`;
    case 'arm':
    case 'armv7l':
    case 'armv7':
    case 'armhf':
    case 'arm32':
      return `${IE_CPU_ARCH_PREFIX}arm32`;
    default:
      return `${IE_CPU_ARCH_PREFIX}${
        arch
          .trim()
          .replace(/[^A-Za-z0-9_.-]/g, '_')
          .slice(0, 64) || 'unknown'
      }`;
  }
}

/** What the cluster knows about a registered node, as far as its IE needs it. */
export interface IeNodeFacts {
  id: string;
  name: string;
  /** Docker's architecture name (`amd64`, `arm64`, ...) as the node registered it. */
  arch: string;
  cpuCores: number;
  memoryMb: number;
  publicIp?: string | undefined;
  labels: Readonly<Record<string, string>>;
  /** `lat,long` */
  location?: string | undefined;
  /** `NODE_IE_ID`, when the node configured one. */
  ieId?: string | undefined;
}

/** The node's liveness and its last heartbeat (`nodes/<id>/information`), if any arrived. */
export interface IeLiveFacts {
  active: boolean;
  info?: { cpuCores: number; cpuPercent: number; memoryTotalMb: number; memoryFreeMb: number } | undefined;
}

export interface IeContext {
  /** The cluster's domain name (CLUSTER_DOMAIN, default the cluster name), without the URN prefix. */
  domain: string;
  /** `lat,long` used when the node registered no location (the cluster's CLUSTER_LOCATION). */
  fallbackLocation?: string | undefined;
}

/**
 * Builds a node's IE. Usage comes from the last heartbeat; before the first one, the node's
 * registered capacity stands in (nothing used), and the status is not Ready anyway. `realTimeCapable`
 * is the node label `realtime=true`, the same label the schedulers match aerOS's real-time
 * requirement against, so what the IE advertises and what placement honours cannot disagree.
 */
export function buildInfrastructureElement(
  node: IeNodeFacts,
  live: IeLiveFacts,
  context: IeContext,
): InfrastructureElement {
  const info = live.info;
  const ramCapacity = Math.max(0, Math.floor(info?.memoryTotalMb ?? node.memoryMb));
  const availableRam = Math.min(ramCapacity, Math.max(0, Math.floor(info?.memoryFreeMb ?? ramCapacity)));
  const currentRamUsage = ramCapacity - availableRam;
  const ie: InfrastructureElement = {
    id: node.ieId ?? defaultInfrastructureElementId(context.domain, node.name),
    type: 'InfrastructureElement',
    hostname: node.name,
    nodeId: node.id,
    domain: `${IE_DOMAIN_PREFIX}${context.domain}`,
    containerTechnology: 'Docker',
    cpuCores: Math.max(1, Math.floor(info?.cpuCores ?? node.cpuCores)),
    currentCpuUsage: percent(info?.cpuPercent ?? 0),
    ramCapacity,
    availableRam,
    currentRamUsage,
    currentRamUsagePct: ramCapacity > 0 ? percent((currentRamUsage / ramCapacity) * 100) : 0,
    cpuArchitecture: cpuArchitectureUrn(node.arch),
    operatingSystem: IE_OPERATING_SYSTEM_LINUX,
    realTimeCapable: node.labels[REALTIME_LABEL.key] === REALTIME_LABEL.value,
    infrastructureElementStatus: live.active ? IE_STATUS_READY : IE_STATUS_UNAVAILABLE,
  };
  const where = parseLatLong(node.location) ?? parseLatLong(context.fallbackLocation);
  // GeoJSON orders coordinates longitude first, the reverse of Canopy's `lat,long` text.
  if (where !== undefined) {
    ie.location = { type: 'Point', coordinates: [where.long, where.lat] };
  }
  if (node.publicIp !== undefined && node.publicIp !== '') {
    ie.internalIpAddress = node.publicIp;
  }
  return ie;
}

/** aerOS's usage attributes are whole percents in 0..100. */
function percent(value: number): number {
  if (!Number.isFinite(value)) {
    return 0;
  }
  return Math.min(100, Math.max(0, Math.round(value)));
}

/** GeoJSON Point as IEs carry it: `[long, lat]` in degrees. */
export class GeoPointDto {
  @IsIn(['Point']) type!: 'Point';
  @IsArray()
  @ArrayMinSize(2)
  @ArrayMaxSize(2)
  @IsNumber({ allowNaN: false, allowInfinity: false }, { each: true })
  @Min(-180, { each: true })
  @Max(180, { each: true })
  coordinates!: [number, number];
}

/**
 * An {@link InfrastructureElement} on the wire (cluster → root), validated by the root like
 * everything else a cluster sends. Enumerated URNs are checked by prefix, not against a closed list,
 * so a newer cluster that reports another aerOS status or architecture is still understood.
 */
export class InfrastructureElementDto implements InfrastructureElement {
  @IsString() @MaxLength(IE_ID_MAX_LENGTH) @Matches(IE_ID_PATTERN, { message: 'id must be a URN' }) id!: string;
  @IsIn(['InfrastructureElement']) type!: 'InfrastructureElement';
  @IsString() @Matches(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/) hostname!: string;
  @IsString() @Matches(/^[A-Za-z0-9_-]{1,64}$/) nodeId!: string;
  @IsString() @Matches(/^urn:ngsi-ld:Domain:[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/) domain!: string;
  @IsIn(['Docker']) containerTechnology!: 'Docker';
  @IsInt() @Min(1) cpuCores!: number;
  @IsInt() @Min(0) @Max(100) currentCpuUsage!: number;
  @IsInt() @Min(0) ramCapacity!: number;
  @IsInt() @Min(0) availableRam!: number;
  @IsInt() @Min(0) currentRamUsage!: number;
  @IsNumber() @Min(0) @Max(100) currentRamUsagePct!: number;
  @IsString() @Matches(/^urn:ngsi-ld:CpuArchitecture:[A-Za-z0-9_.-]{1,64}$/) cpuArchitecture!: string;
  @IsIn([IE_OPERATING_SYSTEM_LINUX]) operatingSystem!: 'urn:ngsi-ld:OperatingSystem:Linux';
  @IsBoolean() realTimeCapable!: boolean;
  @IsString() @Matches(/^urn:ngsi-ld:InfrastructureElementStatus:[A-Za-z]{1,32}$/) infrastructureElementStatus!: string;
  // @IsObject: @ValidateNested alone would let a non-object through unchecked.
  @IsOptional() @IsObject() @ValidateNested() @Type(() => GeoPointDto) location?: GeoPointDto;
  @IsOptional() @IsString() @MaxLength(256) internalIpAddress?: string;
}

/** An IE as the root lists it: the cluster's report plus which cluster it belongs to. */
export interface InfrastructureElementView extends InfrastructureElement {
  clusterId: string;
  clusterName: string;
}
