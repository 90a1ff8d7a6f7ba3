import { IsInt, IsOptional, Min } from 'class-validator';
import { SlaMicroservice } from '@canopy/schema';

/**
 * `PUT /api/service/<id>`: the whole microservice as in the SLA (a replace, not a patch), plus the
 * record version the client last read; a stale version is a 409.
 */
export class ServiceUpdateDto extends SlaMicroservice {
  @IsOptional() @IsInt() @Min(1) version?: number;
}
