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
  IsNumber,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
  Max,
  Min,
  ValidateIf,
  ValidateNested,
  registerDecorator,
  type ValidationOptions,
} from 'class-validator';
import { IsConstraintField, IsLabelMap, LABEL_KEY_PATTERN, geoLocationProblem } from './placement-constraints';
import { parsePortSpec } from './port-spec';

/** Oakestra's name rule for applications, microservices and their namespaces. */
export const NAME_PATTERN = /^[a-zA-Z0-9]{1,30}$/;
const NAME_MESSAGE = '$property must be 1-30 letters or digits (no dots, dashes or spaces)';

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

/**
 * Host trees no node ever binds, whatever its switches (the node also resolves symlinks; the root
 * can only judge the path as written, so this is the early answer, not the enforcement).
 */
const NEVER_BOUND = /^\/+(proc|sys|dev|var\/+lib\/+docker)(\/|:|$)|^\/+:/;

/** Each bind must not name a tree every node refuses (see `NEVER_BOUND`). */
export function IsAllowedBind(options?: ValidationOptions): PropertyDecorator {
  return (object: object, propertyName: string | symbol) => {
    registerDecorator({
      name: 'isAllowedBind',
      target: object.constructor,
      propertyName: String(propertyName),
      options: { each: true, ...options },
      validator: {
        validate: (value: unknown) => typeof value === 'string' && !NEVER_BOUND.test(value),
        defaultMessage: (args) =>
          `${args?.property ?? 'binds'}: "${String(args?.value)}" names /, /proc, /sys, /dev or Docker's data root, which no node mounts`,
      },
    });
  };
}

/** `port` must parse with {@link parsePortSpec}. */
export function IsPortSpec(options?: ValidationOptions): PropertyDecorator {
  return (object: object, propertyName: string | symbol) => {
    registerDecorator({
      name: 'isPortSpec',
      target: object.constructor,
      propertyName: String(propertyName),
      options,
      validator: {
        validate: (value: unknown) => typeof value === 'string' && parsePortSpec(value).ok,
        defaultMessage: (args) => {
          const value: unknown = args?.value;
          if (typeof value !== 'string') return `${args?.property ?? 'port'} must be a string`;
          const parsed = parsePortSpec(value);
          return parsed.ok ? 'valid' : `${args?.property ?? 'port'}: ${parsed.message}`;
        },
      },
    });
  };
}

const INT = { message: '$property must be an integer' };

/** Upper bound on `replicas`: the root plans one step per missing instance, so the count must be sane. */
export const MAX_REPLICAS = 1000;

export class SlaConstraint {
  @IsString()
  @IsNotEmpty()
  type!: string;

  @IsOptional() @IsString() cluster?: string;
  /** `;`-separated node names or ids (Oakestra's `direct` constraint). */
  @IsOptional() @IsString() node?: string;
  @IsOptional() @IsString() area?: string;
  /**
   * `geo`: `"lat,long,radius_km"`, or Oakestra's `"lat,long"` with the radius (km) in `threshold`.
   * Required and checked for `geo` constraints only.
   */
  @IsConstraintField(['geo'], geoLocationProblem)
  location?: string;
  @IsOptional() @IsNumber() threshold?: number;
  /** `label`: the node label's key (required for `label` constraints). */
  @IsConstraintField(['label'], (key) =>
    LABEL_KEY_PATTERN.test(key) ? undefined : 'must be letters, digits and _ . / - (max 63)',
  )
  key?: string;
  /** `label`: the label's value; `arch`: the architecture (required for both). */
  @IsConstraintField(['label', 'arch'], (value) => (value.length > 256 ? 'must be at most 256 characters' : undefined))
  value?: string;
  @IsOptional() @IsNumber() rigidness?: number;
  @IsOptional() @IsInt(INT) convergence_time?: number;
}

export class SlaAddresses {
  @IsOptional() @IsString() rr_ip?: string;
  @IsOptional() @IsString() rr_ip_v6?: string;
  @IsOptional() @IsString() closest_ip?: string;
  @IsOptional() @IsString() closest_ip_v6?: string;
}

export class SlaConnectivity {
  @IsString() target_microservice_id!: string;
  @IsOptional() @IsArray() con_constraints?: unknown[];
}

/** Canopy: credentials for a private registry (the SLA spelling of aerOS `imageRegistry`). */
export class SlaImageRegistry {
  /** Registry host; absent = the one named in `code`. */
  @IsOptional() @IsString() @MaxLength(512) url?: string;
  @IsString() @IsNotEmpty() @MaxLength(256) username!: string;
  @IsString() @IsNotEmpty() @MaxLength(4096) password!: string;
}

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
