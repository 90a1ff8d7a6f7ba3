// class-transformer's @Type reads Reflect metadata while the class is being declared, so the
// polyfill must be loaded first whichever module is imported first.
import 'reflect-metadata';
import { Type } from 'class-transformer';
import {
  IsArray,
  IsBoolean,
  IsInt,
  IsNotEmpty,
  IsObject,
  IsOptional,
  IsString,
  Max,
  MaxLength,
  Min,
  ValidateNested,
  registerDecorator,
  type ValidationOptions,
} from 'class-validator';

export class HloPort {
  @IsInt() @Min(1) @Max(65535) number!: number;
}

export class HloInfrastructureElement {
  @IsString() @IsNotEmpty() @MaxLength(256) id!: string;
  @IsString() @MaxLength(253) hostname!: string;
}

export interface KeyValue {
  key: string;
  value?: string;
}

/**
 * aerOS's allocation API sends `envVars`/`cliArgs` as `[{key, value?}]`; its TOSCA inputs (and some
 * clients) send `{key: value}` maps or `[{key: value}]` single-entry objects. All three are accepted
 * and read in order by {@link keyValues}.
 */
function IsKeyValues(options?: ValidationOptions): PropertyDecorator {
  return (object: object, propertyName: string | symbol) => {
    registerDecorator({
      name: 'isKeyValues',
      target: object.constructor,
      propertyName: String(propertyName),
      options: {
        message: '$property must be [{key, value?}], [{name: value}] or {name: value} with string keys and values',
        ...options,
      },
      validator: { validate: (v: unknown) => keyValues(v) !== undefined },
    });
  };
}

const scalar = (v: unknown): v is string | number | boolean =>
  typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';

/** The entries of any accepted spelling, in order; undefined when the value is none of them. */
export function keyValues(value: unknown): KeyValue[] | undefined {
  if (value === undefined || value === null) {
    return [];
  }
  const entry = (key: string, v: unknown): KeyValue | undefined =>
    key === '' || key.length > 4096
      ? undefined
      : v === undefined || v === null || v === ''
        ? { key }
        : scalar(v)
          ? { key, value: String(v) }
          : undefined;
  const out: (KeyValue | undefined)[] = [];
  if (Array.isArray(value)) {
    if (value.length > 256) {
      return undefined;
    }
    for (const item of value) {
      if (item === null || typeof item !== 'object' || Array.isArray(item)) {
        return undefined;
      }
      const o = item as Record<string, unknown>;
      if (typeof o.key === 'string') {
        out.push(entry(o.key, o.value));
      } else if (Object.keys(o).length === 1) {
        out.push(...Object.entries(o).map(([k, v]) => entry(k, v)));
      } else {
        return undefined;
      }
    }
  } else if (typeof value === 'object') {
    const entries = Object.entries(value);
    if (entries.length > 256) {
      return undefined;
    }
    out.push(...entries.map(([k, v]) => entry(k, v)));
  } else {
    return undefined;
  }
  return out.every((e) => e !== undefined) ? out : undefined;
}

/** `ServiceComponentParameters` of aerOS's `/hlo_al` API: what PUT takes and GET returns. */
export class HloServiceComponentParameters {
  @IsString() @IsNotEmpty() @MaxLength(512) image!: string;
  @IsOptional() @IsKeyValues() envVars?: unknown;
  @IsOptional() @IsKeyValues() cliArgs?: unknown;
  @IsObject() @ValidateNested() @Type(() => HloInfrastructureElement) infrastructure_element!: HloInfrastructureElement;
  @IsOptional() @IsArray() @ValidateNested({ each: true }) @Type(() => HloPort) ports?: HloPort[];
  /** `ServiceComponentDocker` / `ServiceComponentK8s`, or the NGSI-LD `urn:ngsi-ld:OrchestrationType:Docker|Kubernetes`. */
  @IsString() @IsNotEmpty() orchestration_type!: string;
  @IsOptional() @IsString() llo_id?: string | null;
  @IsBoolean() exposePorts!: boolean;
  @IsOptional() @IsBoolean() isJob?: boolean | null;
  @IsOptional() @IsBoolean() isPrivate?: boolean | null;
  @IsOptional() @IsString() repoUsername?: string | null;
  @IsOptional() @IsString() repoPassword?: string | null;
}

/** `ServiceComponentAllocation`: the parameters plus the component's NGSI-LD id. */
export class HloServiceComponentAllocation extends HloServiceComponentParameters {
  @IsString() @IsNotEmpty() @MaxLength(256) id!: string;
}

/** The body of `POST /hlo_al/services/<id>` (FastAPI embeds both parameters by name). */
export class HloAllocationRequest {
  @IsObject()
  @ValidateNested()
  @Type(() => HloServiceComponentAllocation)
  service_component!: HloServiceComponentAllocation;
  /** WireGuard client settings; kept on the CR as `networkOverlay`. */
  @IsOptional() @IsObject() scomponent_network_conf?: Record<string, unknown> | null;
}
