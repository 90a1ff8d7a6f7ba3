import { IsInt, IsOptional, IsString, Matches, MaxLength, Min } from 'class-validator';
import { NAME_PATTERN } from '@canopy/schema';

/**
 * `PUT /api/application/<id>`. Names and namespaces are an application's identity (its services'
 * job names derive from them), so they may be repeated but not changed.
 */
export class ApplicationUpdateDto {
  @IsOptional() @IsString() @Matches(NAME_PATTERN) application_name?: string;
  @IsOptional() @IsString() @Matches(NAME_PATTERN) application_namespace?: string;
  @IsOptional() @IsString() @MaxLength(4096) application_desc?: string;
  @IsOptional() @IsInt() @Min(1) version?: number;
}
