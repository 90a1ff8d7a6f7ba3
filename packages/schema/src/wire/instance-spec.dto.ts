// class-transformer's @Type reads Reflect metadata while the class is being declared, so the
// polyfill must be loaded first whichever module is imported first.
import 'reflect-metadata';
import { Type } from 'class-transformer';
import {
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsNotEmpty,
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
import { INSTANCE_STATUSES, type InstanceStatus } from '../status';
import { IsLabelMap } from '../sla/placement-constraints';
import { SlaConstraint } from '../sla/sla.dto';

/** Identifies one container's worth of work; see {@link InstanceKey}. */
export class InstanceKeyDto {
  @IsString() @IsNotEmpty() @MaxLength(128) serviceId!: string;
  @IsInt() @Min(0) instanceNumber!: number;
  @IsInt() @Min(0) generation!: number;
}

export class PortMappingDto {
  @IsInt() @Min(1) @Max(65535) containerPort!: number;
  @IsOptional() @IsInt() @Min(1) @Max(65535) hostPort?: number;
  @IsIn(['tcp', 'udp']) protocol!: 'tcp' | 'udp';
}

/** A published port as Docker actually bound it. */
export class BoundPortDto {
  @IsInt() @Min(1) @Max(65535) containerPort!: number;
  @IsInt() @Min(1) @Max(65535) hostPort!: number;
  @IsIn(['tcp', 'udp']) protocol!: 'tcp' | 'udp';
}

/**
 * Credentials for a private image registry (aerOS `imageRegistry`, SLA `image_registry`). Passed to
 * Docker's pull only; nodes never log the password.
 */
export class RegistryAuthDto {
  @IsString() @IsNotEmpty() @MaxLength(256) username!: string;
  @IsString() @IsNotEmpty() @MaxLength(4096) password!: string;
  /** Registry host, e.g. `registry.example.org:5000`; absent = the one named in the image reference. */
  @IsOptional() @IsString() @MaxLength(512) serveraddress?: string;
}

/**
 * Everything a node needs to run one instance. The root derives it from the service's SLA, the
 * cluster forwards it unchanged (plus the node it chose), the node runs it.
 */
export class InstanceSpecDto extends InstanceKeyDto {
  /** `<app>.<appns>.<svc>.<svcns>` */
  @IsString() @IsNotEmpty() @MaxLength(256) jobName!: string;
  @IsString() @IsNotEmpty() @MaxLength(512) image!: string;
  @IsArray() @IsString({ each: true }) cmd!: string[];
  @IsArray() @IsString({ each: true }) @Matches(/^[A-Za-z_][A-Za-z0-9_.-]*=/, { each: true }) environment!: string[];
  @IsArray() @ValidateNested({ each: true }) @Type(() => PortMappingDto) ports!: PortMappingDto[];
  /** MB; 0 = no limit */
  @IsInt() @Min(0) memoryMb!: number;
  /** CPUs; 0 = no limit */
  @IsNumber() @Min(0) vcpus!: number;
  @IsInt() @Min(0) vgpus!: number;
  @IsBoolean() oneShot!: boolean;
  @IsBoolean() privileged!: boolean;
  @IsOptional() @IsArray() @ValidateNested({ each: true }) @Type(() => SlaConstraint) constraints?: SlaConstraint[];
  @IsOptional() @IsString() placementPolicy?: string;
  /** Required node architecture (the microservice's `arch`). Other filters travel in `constraints`. */
  @IsOptional() @IsString() @MaxLength(32) arch?: string;
  /** Node labels the instance requires (`node_labels`, plus `realtime=true` for aerOS's real-time flag). */
  @IsOptional() @IsLabelMap() nodeLabels?: Record<string, string>;
  @IsOptional() @IsObject() @ValidateNested() @Type(() => RegistryAuthDto) registryAuth?: RegistryAuthDto;
  /**
   * Host namespaces, bind mounts and added capabilities. Each is refused by the node unless the
   * node's own configuration allows it (NODE_ALLOW_*), whatever the cluster says.
   */
  @IsOptional() @IsBoolean() hostNetwork?: boolean;
  @IsOptional() @IsBoolean() hostPid?: boolean;
  @IsOptional() @IsBoolean() hostIpc?: boolean;
  /** Docker bind specs `host-path:container-path[:ro]`. */
  @IsOptional() @IsArray() @IsString({ each: true }) @MaxLength(1024, { each: true }) binds?: string[];
  /** Linux capabilities without the `CAP_` prefix, e.g. `NET_ADMIN`. */
  @IsOptional() @IsArray() @Matches(/^(CAP_)?[A-Z_]{2,32}$/, { each: true }) capAdd?: string[];
  /**
   * The root's placement epoch of this instance: it only grows, bumped each time the root (re)places
   * the instance on a cluster. Optional so tiers that predate it keep working; a tier that echoes it
   * back in its reports lets the root ignore news about an older placement.
   */
  @IsOptional() @IsInt() @Min(0) epoch?: number;
}

/** One instance's state as a lower tier sees it. Sent on change and again in every full report. */
export class InstanceReportDto extends InstanceKeyDto {
  @IsIn(INSTANCE_STATUSES) status!: InstanceStatus;
  @IsOptional() @IsString() @MaxLength(2048) status_detail?: string;
  @IsOptional() @IsString() @MaxLength(128) nodeId?: string;
  @IsOptional() @IsString() @MaxLength(128) nodeName?: string;
  @IsOptional() @IsString() @MaxLength(128) containerId?: string;
  @IsOptional() @IsString() @MaxLength(256) publicIp?: string;
  @IsOptional() @IsArray() @ValidateNested({ each: true }) @Type(() => BoundPortDto) hostPorts?: BoundPortDto[];
  /** ms since epoch when the node observed this status */
  @IsOptional() @IsInt() @Min(0) at?: number;
  /** How many times the node restarted this instance's container after it crashed. */
  @IsOptional() @IsInt() @Min(0) restarts?: number;
  /** The placement epoch the report is about (see {@link InstanceSpecDto.epoch}); absent = unknown. */
  @IsOptional() @IsInt() @Min(0) epoch?: number;
}
