import 'reflect-metadata';
import { IsArray, IsInt, IsNotEmpty, IsNumber, IsOptional, IsString, MaxLength } from 'class-validator';
import { IsConstraintField, LABEL_KEY_PATTERN, geoLocationProblem } from './placement-constraints';
import { INT } from './sla-validators';

/** The parts of an SLA microservice: placement constraints, addresses, connectivity, registry login. */

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
