// class-transformer's @Type reads Reflect metadata while the class is being declared, so the
// polyfill must be loaded first whichever module is imported first.
import 'reflect-metadata';
import { Type } from 'class-transformer';
import {
  IsArray,
  IsBoolean,
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
import { IE_ID_MAX_LENGTH, IE_ID_PATTERN } from '../aeros/infrastructure-element';
import { InstanceKeyDto, InstanceReportDto, InstanceSpecDto } from './instance-spec.dto';
import { REGISTRATION_ATTEMPT_ID } from './registration-attempt';

/** Largest capacity a node may report: beyond this it is a lie that would attract every placement. */
export const NODE_CAPACITY_LIMITS = { cpuCores: 4096, memoryMb: 64 * 1024 * 1024, gpus: 256 } as const;

/**
 * `POST /api/node/register` body (node → cluster, HTTP). Authenticated with a join token (first
 * registration of a name) or with the node's own credential (re-registration of its name).
 */
export class NodeRegisterRequest {
  /** Stable name of the worker (its hostname by default); re-registering under it keeps the node id. */
  @IsString() @Matches(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/) name!: string;
  /**
   * The id this node had before (from its credential file): a cluster that no longer knows the node
   * (its data directory was reset) gives it the same id again when no other node holds it.
   */
  @IsOptional() @IsString() @Matches(/^[A-Za-z0-9_][A-Za-z0-9_-]{0,63}$/) previousId?: string;
  /**
   * With a join token: a random id the node keeps until it has saved its credential and sends on
   * every try of that first registration. When the answer to a try was lost, the name already has
   * a credential the node never got; a retry with the same id, while the node is not live, gets a
   * fresh one (the earlier one stops working) instead of 409 NODE_NAME_TAKEN.
   */
  @IsOptional()
  @IsString()
  @Matches(REGISTRATION_ATTEMPT_ID, { message: 'attemptId must be 22 to 128 characters of A-Z, a-z, 0-9, _ and -' })
  attemptId?: string;
  @IsString() @IsNotEmpty() @MaxLength(32) arch!: string;
  @IsInt() @Min(1) @Max(NODE_CAPACITY_LIMITS.cpuCores) cpuCores!: number;
  @IsInt() @Min(1) @Max(NODE_CAPACITY_LIMITS.memoryMb) memoryMb!: number;
  @IsOptional() @IsInt() @Min(0) @Max(NODE_CAPACITY_LIMITS.gpus) gpus?: number;
  /** Address clients use to reach published ports on this node. */
  @IsOptional() @IsString() @MaxLength(256) publicIp?: string;
  @IsOptional() @IsObject() labels?: Record<string, string>;
  /** `lat,long` */
  @IsOptional() @IsString() @Matches(/^-?\d+(\.\d+)?,-?\d+(\.\d+)?$/) location?: string;
  /**
   * The node's aerOS Infrastructure Element id (`NODE_IE_ID`), e.g. one aerOS already knows it by.
   * Absent: the cluster names it `urn:ngsi-ld:InfrastructureElement:<domain>:<name>`.
   */
  @IsOptional()
  @IsString()
  @MaxLength(IE_ID_MAX_LENGTH)
  @Matches(IE_ID_PATTERN, { message: 'ieId must be a URN such as urn:ngsi-ld:InfrastructureElement:<domain>:<name>' })
  ieId?: string;
}

/** Reply to a registration. Field names after Oakestra's (`MQTT_BROKER_PORT`). */
export interface NodeRegisterResponse {
  id: string;
  MQTT_BROKER_PORT: number;
  /** Host the node should dial for MQTT; absent means the host it registered with. */
  MQTT_BROKER_HOST?: string;
  /** The broker speaks MQTTS (Canopy's addition; absent means plain MQTT). */
  MQTT_BROKER_TLS?: boolean;
  mqtt: { username: string; password: string };
  /**
   * The node's own long-lived credential, only in the reply to its first registration: it keeps it
   * (mode 0600) and presents it as the bearer token to register its name again.
   */
  credential?: string;
}

/** `nodes/<id>/information`: the heartbeat, every 2 s by default. */
export class NodeInformation {
  @IsInt() @Min(1) cpuCores!: number;
  /** 0..100 percent of all cores */
  @IsNumber() @Min(0) @Max(100) cpuPercent!: number;
  @IsInt() @Min(1) memoryTotalMb!: number;
  @IsInt() @Min(0) memoryFreeMb!: number;
  @IsOptional() @IsInt() @Min(0) diskTotalMb?: number;
  @IsOptional() @IsInt() @Min(0) diskFreeMb?: number;
  /** bytes/s received over the last interval */
  @IsOptional() @IsNumber() @Min(0) netRxBps?: number;
  @IsOptional() @IsNumber() @Min(0) netTxBps?: number;
  @IsOptional() @IsInt() @Min(0) gpus?: number;
  @IsString() @IsNotEmpty() arch!: string;
  @IsInt() @Min(0) at!: number;
  /**
   * The interval this node reports at now (ms); absent from nodes that predate `control/pace`. Lets
   * the cluster see whether a {@link PaceCommand} took effect.
   */
  @IsOptional() @IsInt() @Min(1) reportIntervalMs?: number;
}

export class InstanceUsageDto extends InstanceReportDto {
  @IsOptional() @IsNumber() @Min(0) cpuPercent?: number;
  @IsOptional() @IsNumber() @Min(0) memoryMb?: number;
}

/** `nodes/<id>/jobs/resources`: every instance the node has, with usage. Also the periodic full status report. */
export class NodeJobsReport {
  @IsArray() @ValidateNested({ each: true }) @Type(() => InstanceUsageDto) instances!: InstanceUsageDto[];
  @IsInt() @Min(0) at!: number;
}

/**
 * `nodes/<id>/job`: one instance's status changed. Carries Oakestra's `sname`/`instance` names beside
 * Canopy's idempotency key.
 */
export class JobStatusMessage extends InstanceReportDto {
  @IsString() @IsNotEmpty() sname!: string;
  @IsInt() @Min(0) instance!: number;
}

/** `nodes/<id>/control/deploy` */
export class DeployCommand extends InstanceSpecDto {}

/** `nodes/<id>/control/delete` */
export class DeleteCommand extends InstanceKeyDto {}

/** `nodes/<id>/control/sync`: the full desired set for this node; anything not listed goes. */
export class SyncCommand {
  @IsArray() @ValidateNested({ each: true }) @Type(() => InstanceSpecDto) instances!: InstanceSpecDto[];
}

/**
 * `nodes/<id>/control/pace`: cluster → node, report (`information` and `jobs/resources`) every
 * `reportIntervalMs` from now on. The cluster lengthens the interval when it has more nodes than it
 * can hear at the default pace, and shortens it again when load falls (see the cluster's
 * `report-pace.planner.ts`); status changes (`job`) are still sent at once.
 */
export class PaceCommand {
  @IsInt() @Min(100) @Max(3_600_000) reportIntervalMs!: number;
}

/** `nodes/<id>/control/logs`: cluster → node, the tail of one instance's log. */
export class LogsCommand extends InstanceKeyDto {
  /** Echoed in the reply so the cluster can match it to the waiting request. */
  @IsString() @Matches(/^[A-Za-z0-9_-]{1,64}$/) requestId!: string;
  @IsInt() @Min(1) @Max(10_000) tail!: number;
}

/** `nodes/<id>/logs`: node → cluster, the answer to a {@link LogsCommand}. */
export class LogsReplyMessage {
  @IsString() @Matches(/^[A-Za-z0-9_-]{1,64}$/) requestId!: string;
  @IsBoolean() ok!: boolean;
  @IsArray() @IsString({ each: true }) lines!: string[];
  @IsOptional() @IsString() @MaxLength(2048) error?: string;
}
