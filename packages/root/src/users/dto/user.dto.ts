import { IsIn, IsInt, IsOptional, IsString, Matches, MaxLength, Min, MinLength } from 'class-validator';
import type { Role } from '../../persistence/records';

export const ROLES: readonly Role[] = ['Admin', 'Application_Provider'];

export class CreateUserDto {
  @IsString()
  @Matches(/^[A-Za-z0-9_.-]{1,64}$/, { message: 'username must be 1-64 letters, digits, _ . -' })
  username!: string;
  @IsString() @MinLength(8) @MaxLength(256) password!: string;
  @IsIn(ROLES) role!: Role;
  @IsOptional() @IsString() @MaxLength(64) organizationId?: string;
}

export class UpdateUserDto {
  @IsOptional() @IsString() @MinLength(8) @MaxLength(256) password?: string;
  @IsOptional() @IsIn(ROLES) role?: Role;
  @IsOptional() @IsString() @MaxLength(64) organizationId?: string;
  @IsOptional() @IsInt() @Min(1) version?: number;
}
