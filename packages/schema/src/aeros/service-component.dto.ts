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
  IsObject,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateNested,
  registerDecorator,
  type ValidationOptions,
} from 'class-validator';

export const AEROS_API_VERSION = 'llo.aeros-project.eu/v1alpha1';
export const AEROS_KINDS = ['ServiceComponentDocker', 'ServiceComponentK8s'] as const;
export type AerosKind = (typeof AEROS_KINDS)[number];

export class AerosMetadata {
  /** Kubernetes object name rules (DNS-1123 label). */
  @IsString()
  @MaxLength(253)
  @Matches(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/, {
    message: 'metadata.name must be a lowercase RFC 1123 subdomain (a-z, 0-9, "-", ".")',
  })
  name!: string;
  @IsOptional()
  @IsString()
  @Matches(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, { message: 'metadata.namespace must be a DNS-1123 label' })
  namespace?: string;
  @IsOptional() @IsStringMap() labels?: Record<string, string>;
  @IsOptional() @IsStringMap() annotations?: Record<string, string>;
}

/** Kubernetes labels and annotations: a flat object of string values, of bounded size. */
function IsStringMap(options?: ValidationOptions): PropertyDecorator {
  return (object: object, propertyName: string | symbol) => {
    registerDecorator({
      name: 'isStringMap',
      target: object.constructor,
      propertyName: String(propertyName),
      options: { message: `$property must map names to strings (at most 64 entries)`, ...options },
      validator: {
        validate: (v: unknown) =>
          typeof v === 'object' &&
          v !== null &&
          !Array.isArray(v) &&
          Object.keys(v).length <= 64 &&
          Object.entries(v).every(([k, x]) => k.length <= 317 && typeof x === 'string' && x.length <= 262_144),
      },
    });
  };
}

export class AerosPort {
  @IsInt() @Min(1) @Max(65535) number!: number;
  @IsOptional() @IsIn(['TCP', 'UDP', 'tcp', 'udp']) protocol?: string;
}

export class AerosCliArg {
  @IsString() @IsNotEmpty() key!: string;
  @IsOptional() @IsString() value?: string;
}

export class AerosEnvVar {
  @IsString() @Matches(/^[A-Za-z_][A-Za-z0-9_.-]*$/) key!: string;
  /** aerOS's HLO omits `value` when it is empty. */
  @IsOptional() @IsString() value?: string;
}

export class AerosImageRegistry {
  @IsOptional() @IsString() url?: string;
  @IsString() username!: string;
  @IsString() password!: string;
}

export interface AerosSelectedIEObject {
  id: string;
  hostname: string;
}

/** Both fields are strings and at least one names the node (an all-empty object would pin to node ""). */
function isSelectedIEObject(v: Record<string, unknown>): boolean {
  const { id, hostname } = v;
  return typeof id === 'string' && typeof hostname === 'string' && (id !== '' || hostname !== '');
}

/** `selectedIE` is a string in some aerOS files and `{id, hostname}` in others; both are accepted. */
function IsSelectedIE(options?: ValidationOptions): PropertyDecorator {
  return (object: object, propertyName: string | symbol) => {
    registerDecorator({
      name: 'isSelectedIE',
      target: object.constructor,
      propertyName: String(propertyName),
      options: { message: 'selectedIE must be a string or {id, hostname}', ...options },
      validator: {
        validate: (v: unknown) =>
          (typeof v === 'string' && v.length > 0) ||
          (typeof v === 'object' && v !== null && isSelectedIEObject(v as Record<string, unknown>)),
      },
    });
  };
}

export class AerosServiceComponentSpec {
  @IsOptional() @IsSelectedIE() selectedIE?: string | AerosSelectedIEObject;
  @IsString() @IsNotEmpty() @MaxLength(512) image!: string;
  @IsOptional() @IsArray() @ValidateNested({ each: true }) @Type(() => AerosPort) ports?: AerosPort[];
  @IsOptional() @IsArray() @ValidateNested({ each: true }) @Type(() => AerosCliArg) cliArgs?: AerosCliArg[];
  @IsOptional() @IsArray() @ValidateNested({ each: true }) @Type(() => AerosEnvVar) envVars?: AerosEnvVar[];
  @IsOptional() @IsBoolean() exposePorts?: boolean;
  @IsOptional() @IsBoolean() isJob?: boolean;
  @IsOptional() @IsBoolean() privileged?: boolean;
  @IsOptional() @IsObject() @ValidateNested() @Type(() => AerosImageRegistry) imageRegistry?: AerosImageRegistry;
  /** WireGuard client settings for aerOS's per-service overlay: accepted and kept; no overlay runs here yet. */
  @IsOptional() @IsObject() networkOverlay?: Record<string, unknown>;
}

/** An aerOS Low-Level-Orchestrator custom resource (SPEC §5). */
export class AerosServiceComponent {
  /** The Eclipse republish's `llo.aeriOS-project.eu` spelling is tolerated (aerOS.md §6); stored canonical. */
  @IsString()
  @Matches(/^llo\.aer(i)?os-project\.eu\/v1alpha1$/i, { message: `apiVersion must be "${AEROS_API_VERSION}"` })
  apiVersion!: string;
  @IsString() @IsIn(AEROS_KINDS, { message: `kind must be one of ${AEROS_KINDS.join(', ')}` }) kind!: AerosKind;
  // @IsObject makes these required: @ValidateNested skips a missing value, and the converters
  // would then read `metadata.name` of undefined (a 5xx instead of a 400).
  @IsObject() @ValidateNested() @Type(() => AerosMetadata) metadata!: AerosMetadata;
  @IsObject() @ValidateNested() @Type(() => AerosServiceComponentSpec) spec!: AerosServiceComponentSpec;
}

/**
 * The write-only fields of a component's spec (SPEC §9), as `[object, key]` under `spec`: every
 * read shows a placeholder, a write that carries the placeholder back keeps the stored value, and
 * the store seals them at rest (`sealRegistryPasswords`). The registry password, and the
 * WireGuard private key aerOS's HLO hands over in `networkOverlay`.
 */
export const COMPONENT_SPEC_SECRETS: readonly (readonly [object: string, key: string])[] = [
  ['imageRegistry', 'password'],
  ['networkOverlay', 'privateKey'],
];
