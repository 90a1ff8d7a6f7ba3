import {
  IsArray,
  IsEmail,
  IsIn,
  IsInt,
  IsNotEmpty,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
  Min,
  MinLength,
  ValidateIf,
} from 'class-validator';
import type { Role } from '../../persistence/records';

export const ROLES: readonly Role[] = ['Admin', 'Application_Provider'];

/** Oakestra's role names; the ones Canopy does not know grant nothing beyond Application_Provider. */
export const OAKESTRA_ROLES = ['Admin', 'Organization_Admin', 'Application_Provider', 'Infrastructure_Provider'];

const USERNAME = /^[A-Za-z0-9_.-]{1,64}$/;
const USERNAME_MESSAGE = 'must be 1-64 letters, digits, _ . -';

export class CreateUserDto {
  @IsString()
  @Matches(USERNAME, { message: `username ${USERNAME_MESSAGE}` })
  username!: string;
  @IsString() @MinLength(8) @MaxLength(256) password!: string;
  @IsIn(ROLES) role!: Role;
  @IsOptional() @IsString() @MaxLength(64) organizationId?: string;
  @IsOptional() @ValidateIf((_o, v) => v !== '') @IsEmail() @MaxLength(256) email?: string;
}

/**
 * Oakestra's `POST /api/auth/register` (admins only, as Oakestra): `roles` are role names, or
 * `{name}` objects as the dashboard's role picker holds them.
 */
export class RegisterUserDto {
  @IsString()
  @Matches(USERNAME, { message: `name ${USERNAME_MESSAGE}` })
  name!: string;
  @IsString() @MinLength(8) @MaxLength(256) password!: string;
  @IsOptional() @ValidateIf((_o, v) => v !== '') @IsEmail() @MaxLength(256) email?: string;
  @IsOptional() @IsArray() roles?: unknown[];
  @IsOptional() @IsString() @MaxLength(64) organization_id?: string;
}

export class UpdateUserDto {
  @IsOptional() @IsString() @MinLength(8) @MaxLength(256) password?: string;
  /** Needed when a user changes its own password; an admin resetting another's needs none. */
  @IsOptional() @IsString() @IsNotEmpty() @MaxLength(256) current_password?: string;
  @IsOptional() @IsIn(ROLES) role?: Role;
  /** Oakestra's shape of the same: role names or `{name}` objects. */
  @IsOptional() @IsArray() roles?: unknown[];
  @IsOptional() @IsString() @MaxLength(64) organizationId?: string;
  @IsOptional() @ValidateIf((_o, v) => v !== '') @IsEmail() @MaxLength(256) email?: string;
  @IsOptional() @IsInt() @Min(1) version?: number;
}

/** Oakestra's `POST /api/user/<name>`: a password change, which always needs the current password. */
export class ChangePasswordDto {
  @IsString() @IsNotEmpty() @MaxLength(256) oldPassword!: string;
  @IsString() @MinLength(8) @MaxLength(256) newPassword!: string;
}

/** The Canopy role an Oakestra `roles` list stands for: Admin if it names Admin. */
export function roleOf(roles: unknown[]): Role | undefined {
  const names = roles.map((r) =>
    typeof r === 'string' ? r : typeof r === 'object' && r !== null ? (r as { name?: unknown }).name : undefined,
  );
  if (names.some((n) => typeof n !== 'string' || !OAKESTRA_ROLES.includes(n))) return undefined;
  return names.includes('Admin') ? 'Admin' : 'Application_Provider';
}
