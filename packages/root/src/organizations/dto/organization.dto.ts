import { Type } from 'class-transformer';
import { IsArray, IsInt, IsOptional, IsString, Matches, MaxLength, Min, ValidateNested } from 'class-validator';

/** Oakestra's membership entry; `roles` are accepted for its shape, the user's own role stands. */
export class OrganizationMemberDto {
  @IsString() @MaxLength(64) user_id!: string;
  @IsOptional() @IsArray() @IsString({ each: true }) roles?: string[];
}

export class CreateOrganizationDto {
  @IsString()
  @Matches(/^[A-Za-z0-9][A-Za-z0-9_. -]{0,63}$/, { message: 'name must be 1-64 letters, digits, space, _ . -' })
  name!: string;
  @IsOptional() @IsString() @MaxLength(1024) description?: string;
  @IsOptional()
  @IsArray()
  @ValidateNested({ each: true })
  @Type(() => OrganizationMemberDto)
  member?: OrganizationMemberDto[];
}

export class UpdateOrganizationDto {
  @IsOptional() @IsString() @MaxLength(1024) description?: string;
  /** When given, the organization's members become exactly these users. */
  @IsOptional()
  @IsArray()
  @ValidateNested({ each: true })
  @Type(() => OrganizationMemberDto)
  member?: OrganizationMemberDto[];
  @IsOptional() @IsInt() @Min(1) version?: number;
}
