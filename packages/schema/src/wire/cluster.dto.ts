// class-transformer's @Type reads Reflect metadata while the class is being declared, so the
// polyfill must be loaded first whichever module is imported first.
import 'reflect-metadata';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsInt,
  IsNotEmpty,
  IsNumber,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  Max,
  Min,
  ValidateNested,
  registerDecorator,
  type ValidationOptions,
} from 'class-validator';
import { InfrastructureElementDto, MAX_INFRASTRUCTURE_ELEMENTS_PER_CLUSTER } from '../aeros/infrastructure-element';
import { InstanceKeyDto, InstanceReportDto, InstanceSpecDto } from './instance-spec.dto';
import type { ClusterUsage } from './cluster-usage';

/** What the largest single node of a cluster can still take, so the root never picks a cluster where nothing fits. */
export class NodeCapacityDto {
  /** millicores */
  @IsInt() @Min(0) cpuMillis!: number;
  @IsInt() @Min(0) memoryMb!: number;
  @IsInt() @Min(0) gpus!: number;
}

/** Cluster → root: aggregate resources (SPEC §6). */
export class ClusterResourcesDto {
  @IsInt() @Min(0) nodes!: number;
  @IsInt() @Min(0) activeNodes!: number;
  @IsInt() @Min(0) cpuMillisTotal!: number;
  @IsInt() @Min(0) cpuMillisFree!: number;
  @IsInt() @Min(0) memoryMbTotal!: number;
  @IsInt() @Min(0) memoryMbFree!: number;
  @IsInt() @Min(0) gpusFree!: number;
  // @IsObject makes it required: @ValidateNested alone skips a missing value.
  @IsObject() @ValidateNested() @Type(() => NodeCapacityDto) largestNodeFree!: NodeCapacityDto;
  @IsArray() @IsString({ each: true }) architectures!: string[];
  @IsOptional() @IsNumber() @Min(0) netRxBps?: number;
  /**
   * Per architecture, what the largest single active node of that architecture can still take
   * (each resource's most free on one node), so a request naming an arch is checked against the
   * nodes that can run it. Optional: clusters that predate it send only `largestNodeFree`.
   */
  @IsOptional() @IsCapacityMap() largestNodeFreeByArch?: Record<string, NodeCapacityDto>;
  /**
   * Every registered node as an aerOS Infrastructure Element (SPEC §5), live or not. Optional:
   * clusters that predate it send none, and the root then knows no IEs for them.
   */
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(MAX_INFRASTRUCTURE_ELEMENTS_PER_CLUSTER)
  @ValidateNested({ each: true })
  @Type(() => InfrastructureElementDto)
  infrastructureElements?: InfrastructureElementDto[];
}

/** A plain object of architecture name → {@link NodeCapacityDto}-shaped free capacity. */
function IsCapacityMap(options?: ValidationOptions): PropertyDecorator {
  const fine = (value: unknown): boolean => {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      return false;
    }
    const entries = Object.entries(value);
    if (entries.length > 64) {
      return false;
    }
    return entries.every(
      ([arch, cap]) =>
        /^\S{1,32}$/.test(arch) &&
        cap !== null &&
        typeof cap === 'object' &&
        ['cpuMillis', 'memoryMb', 'gpus'].every((k) => {
          const n: unknown = (cap as Record<string, unknown>)[k];
          return typeof n === 'number' && Number.isInteger(n) && n >= 0;
        }),
    );
  };
  return (object: object, propertyName: string | symbol) => {
    registerDecorator({
      name: 'isCapacityMap',
      target: object.constructor,
      propertyName: String(propertyName),
      ...(options === undefined ? {} : { options }),
      validator: {
        validate: fine,
        defaultMessage: (args) =>
          `${args?.property ?? 'capacity'} must map architecture names to {cpuMillis, memoryMb, gpus} of whole numbers >= 0`,
      },
    });
  };
}

/** Handshake `auth` of the cluster's Socket.IO connection. */
export class ClusterHandshakeDto {
  @IsString() @IsNotEmpty() token!: string;
  @IsString() @Matches(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/) name!: string;
  /** `lat,long` or a free-form place name */
  @IsOptional() @IsString() location?: string;
}

/** Cluster → root on every (re)connect and on a timer: everything it has. */
export class ClusterSyncDto {
  @IsObject() @ValidateNested() @Type(() => ClusterResourcesDto) resources!: ClusterResourcesDto;
  @IsArray() @ValidateNested({ each: true }) @Type(() => InstanceReportDto) instances!: InstanceReportDto[];
}

/**
 * Cluster → root every few seconds: "I am alive", independent of Socket.IO's transport ping, so a
 * cluster whose process hangs (while its TCP connection stays open) is noticed by the root.
 */
export class ClusterHeartbeatDto {
  /** ms since epoch on the cluster's clock when it was sent (informational: clocks may differ). */
  @IsInt() @Min(0) sentAt!: number;
  /** Instances the cluster holds, for the root's logs. */
  @IsOptional() @IsInt() @Min(0) instances?: number;
}

/** How often a cluster sends `cluster:heartbeat`. */
export const CLUSTER_HEARTBEAT_INTERVAL_MS = 2_000;

/** Root's answer to a sync: the full desired set for that cluster. */
export interface ClusterSyncReply {
  clusterId: string;
  desired: InstanceSpecDto[];
}

export type Ack = { ok: true } | { ok: false; error: string };

/** Events the cluster emits to the root. Every state change is acked. */
export interface ClusterToRootEvents {
  'cluster:sync': (
    payload: ClusterSyncDto,
    ack: (reply: ClusterSyncReply | { ok: false; error: string }) => void,
  ) => void;
  'cluster:resources': (payload: ClusterResourcesDto) => void;
  /** Every {@link CLUSTER_HEARTBEAT_INTERVAL_MS}; not acked (the next one supersedes it). */
  'cluster:heartbeat': (payload: ClusterHeartbeatDto) => void;
  'instance:status': (payload: InstanceReportDto, ack: (reply: Ack) => void) => void;
  /** Per-instance CPU and memory; not acked (a sample, superseded by the next). */
  'instance:usage': (payload: ClusterUsage) => void;
}

/** Events the root emits to a cluster. */
export interface RootToClusterEvents {
  'instance:deploy': (payload: InstanceSpecDto, ack: (reply: Ack) => void) => void;
  'instance:delete': (payload: InstanceKeyDto, ack: (reply: Ack) => void) => void;
  /** The tail of one instance's container log, fetched from its node on request. */
  'instance:logs': (payload: LogsRequestDto, ack: (reply: LogsReply) => void) => void;
}

/** Root → cluster: which instance's log, and how many lines from its end. */
export class LogsRequestDto extends InstanceKeyDto {
  @IsInt() @Min(1) @Max(10_000) tail!: number;
}

export type LogsReply = { ok: true; lines: string[] } | { ok: false; error: string };

export const SOCKET_NAMESPACE = '/clusters';
