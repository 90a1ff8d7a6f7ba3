// class-transformer's @Type reads Reflect metadata while the class is being declared, so the
// polyfill must be loaded first whichever module is imported first.
import 'reflect-metadata';
import { Type } from 'class-transformer';
import {
  Equals,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsNotEmpty,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
  Max,
  Min,
  ValidateIf,
  ValidateNested,
} from 'class-validator';
import { IsLabelMap } from './placement-constraints';
import { SlaAddresses, SlaConnectivity, SlaConstraint, SlaImageRegistry } from './sla-parts.dto';
import { INT, IsAllowedBind, IsPortSpec, NAME_MESSAGE, NAME_PATTERN } from './sla-validators';

export { SlaAddresses, SlaConnectivity, SlaConstraint, SlaImageRegistry } from './sla-parts.dto';
export { IsAllowedBind, IsPortSpec, NAME_PATTERN } from './sla-validators';

/** Placement policies and the spellings of them that ASSIST-IoT and Oakestra users write. */
export const PLACEMENT_POLICIES = ['best-fit', 'worst-fit', 'first-fit', 'most-traffic'] as const;
export type PlacementPolicy = (typeof PLACEMENT_POLICIES)[number];
export const PLACEMENT_POLICY_ALIASES: Readonly<Record<string, PlacementPolicy>> = {
  'best-fit': 'best-fit',
  best_fit: 'best-fit',
  'worst-fit': 'worst-fit',
  worst_fit: 'worst-fit',
  'first-fit': 'first-fit',
  first_fit: 'first-fit',
  'most-traffic': 'most-traffic',
  most_traffic: 'most-traffic',
  'traffic-most': 'most-traffic',
};

/** Upper bound on `replicas`: the root plans one step per missing instance, so the count must be sane. */
export const MAX_REPLICAS = 1000;

/** One microservice of an Oakestra SLA v2.0 descriptor (SPEC §3). */
export class SlaMicroservice {
  /** Empty on create (Oakestra assigns it). */
  @IsOptional()
  @IsString()
  @MaxLength(0, { message: 'microserviceID must be empty when creating' })
  microserviceID?: string;

  @IsString()
  @Matches(NAME_PATTERN, { message: NAME_MESSAGE })
  microservice_name!: string;

  @IsString()
  @Matches(NAME_PATTERN, { message: NAME_MESSAGE })
  microservice_namespace!: string;

  /** `container` and `docker` are the same thing here. */
  @IsString()
  @IsIn(['container', 'docker'], { message: 'virtualization must be "container" or "docker"' })
  virtualization!: string;

  /** Image reference. */
  @IsString()
  @IsNotEmpty({ message: 'code must name an image' })
  @MaxLength(512)
  code!: string;

  @IsOptional()
  @IsArray()
  @IsString({ each: true })
  cmd?: string[];

  @IsOptional()
  @IsArray()
  @IsString({ each: true })
  args?: string[];

  /** `KEY=VAL`; a bare `KEY` would make Docker copy the node's own variable into the container. */
  @IsOptional()
  @IsArray()
  @IsString({ each: true })
  @Matches(/^[A-Za-z_][A-Za-z0-9_.-]*=/, { each: true, message: 'environment entries must be KEY=VALUE' })
  environment?: string[];

  /** MB */
  @IsOptional() @IsInt(INT) @Min(0) memory?: number;
  @IsOptional() @IsInt(INT) @Min(0) vcpus?: number;
  @IsOptional() @IsInt(INT) @Min(0) vgpus?: number;
  @IsOptional() @IsInt(INT) @Min(0) vtpus?: number;
  @IsOptional() @IsInt(INT) @Min(0) bandwidth_in?: number;
  @IsOptional() @IsInt(INT) @Min(0) bandwidth_out?: number;
  @IsOptional() @IsInt(INT) @Min(0) storage?: number;

  @IsOptional()
  @IsPortSpec()
  port?: string;

  // @IsObject: @ValidateNested alone lets an array through as an "object".
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => SlaAddresses)
  addresses?: SlaAddresses;

  @IsOptional()
  @IsArray()
  @IsString({ each: true })
  added_files?: string[];

  @IsOptional() @IsString() state?: string;
  @IsOptional() @IsString() sla_violation_strategy?: string;
  @IsOptional() @IsString() target_node?: string;
  @IsOptional() @IsBoolean() one_shot?: boolean;
  @IsOptional() @IsBoolean() privileged?: boolean;

  @IsOptional()
  @IsArray()
  @IsObject({ each: true, message: 'each entry of $property must be an object' })
  @ValidateNested({ each: true })
  @Type(() => SlaConstraint)
  constraints?: SlaConstraint[];

  @IsOptional()
  @IsArray()
  @IsObject({ each: true, message: 'each entry of $property must be an object' })
  @ValidateNested({ each: true })
  @Type(() => SlaConnectivity)
  connectivity?: SlaConnectivity[];

  /** Canopy: private registry credentials, used only to pull `code`. */
  @IsOptional() @IsObject() @ValidateNested() @Type(() => SlaImageRegistry) image_registry?: SlaImageRegistry;

  /**
   * Canopy: options a node refuses unless its own configuration allows them (host namespaces,
   * bind mounts `host:container[:ro]`, added Linux capabilities).
   */
  @IsOptional() @IsBoolean() host_network?: boolean;
  @IsOptional() @IsBoolean() host_pid?: boolean;
  @IsOptional() @IsBoolean() host_ipc?: boolean;
  @IsOptional() @IsArray() @IsString({ each: true }) @IsAllowedBind() binds?: string[];
  @IsOptional()
  @IsArray()
  @IsString({ each: true })
  @Matches(/^(CAP_)?[A-Z_]{2,32}$/, { each: true })
  cap_add?: string[];

  /** Canopy: only nodes of this CPU architecture (`amd64`, `arm64`, ...; `x86_64`/`aarch64` match too). */
  @IsOptional()
  @IsString()
  @Matches(/^[A-Za-z0-9_./-]{1,32}$/, { message: 'arch must be an architecture name such as amd64 or arm64' })
  arch?: string;

  /** Canopy: only nodes carrying all these labels (as the node engine's `NODE_LABELS`). */
  @IsOptional() @IsLabelMap() node_labels?: Record<string, string>;

  /** aerOS real-time requirement: only nodes labelled `realtime=true`. */
  @IsOptional() @IsBoolean() realtime?: boolean;

  /** Canopy: how many instances the system keeps running (default 1). */
  @IsOptional() @IsInt(INT) @Min(0) @Max(MAX_REPLICAS) replicas?: number;

  /** Canopy/ASSIST-IoT: placement policy; both spellings of the key are accepted. */
  @IsOptional()
  @IsIn(Object.keys(PLACEMENT_POLICY_ALIASES), {
    message: `placement_policy must be one of ${Object.keys(PLACEMENT_POLICY_ALIASES).join(', ')}`,
  })
  placement_policy?: string;

  @IsOptional()
  @IsIn(Object.keys(PLACEMENT_POLICY_ALIASES), {
    message: `placementPolicy must be one of ${Object.keys(PLACEMENT_POLICY_ALIASES).join(', ')}`,
  })
  placementPolicy?: string;
}

export class SlaApplication {
  /**
   * Empty or absent on create: Oakestra's schema does not require it, and its dashboard strips
   * empty strings before sending.
   */
  // Absent is fine; null is not (IsOptional would let null through).
  @ValidateIf((_o, v) => v !== undefined)
  @IsString()
  applicationID: string = '';

  @IsString()
  @Matches(NAME_PATTERN, { message: NAME_MESSAGE })
  application_name!: string;

  @IsString()
  @Matches(NAME_PATTERN, { message: NAME_MESSAGE })
  application_namespace!: string;

  @IsOptional()
  @IsString()
  @MaxLength(4096)
  application_desc?: string;

  /** May be empty, or absent (Oakestra accepts an application with no microservices yet); never null. */
  @ValidateIf((_o, v) => v !== undefined)
  @IsArray()
  @IsObject({ each: true, message: 'each entry of $property must be an object' })
  @ValidateNested({ each: true })
  @Type(() => SlaMicroservice)
  microservices: SlaMicroservice[] = [];
}

/** An Oakestra SLA v2.0 deployment descriptor, the body of `POST /api/application`. */
export class SlaDescriptor {
  @IsString()
  @Equals('v2.0', { message: 'sla_version must be "v2.0"' })
  sla_version!: string;

  /**
   * Required, as in Oakestra's schema. The root's HTTP API fills in the caller when a request
   * omits it (Oakestra's dashboard does until it knows the user's id).
   */
  @IsString()
  customerID!: string;

  @IsArray()
  @IsObject({ each: true, message: 'each entry of $property must be an object' })
  @ValidateNested({ each: true })
  @Type(() => SlaApplication)
  applications!: SlaApplication[];
}

/** The body of `POST /api/service`: an SLA whose single application names an existing `applicationID`. */
export class SlaServiceDescriptor extends SlaDescriptor {}
