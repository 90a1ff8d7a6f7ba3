import { IsInt, IsOptional, IsString, Matches, MaxLength, Min } from 'class-validator';

export class CreateOrganizationDto {
  @IsString()
  @Matches(/^[A-Za-z0-9][A-Za-z0-9_. -]{0,63}$/, { message: 'name must be 1-64 letters, digits, space, _ . -' })
  name!: string;
  @IsOptional() @IsString() @MaxLength(1024) description?: string;
}

export class UpdateOrganizationDto {
  @IsOptional() @IsString() @MaxLength(1024) description?: string;
  @IsOptional() @IsInt() @Min(1) version?: number;
}
