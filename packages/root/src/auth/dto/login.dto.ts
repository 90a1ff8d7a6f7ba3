import { IsNotEmpty, IsOptional, IsString, MaxLength } from 'class-validator';

export class LoginDto {
  @IsString() @IsNotEmpty() @MaxLength(64) username!: string;
  @IsString() @IsNotEmpty() @MaxLength(256) password!: string;
}

/** The refresh token in the body (Canopy), or absent with `Authorization: Bearer <refresh token>` (Oakestra's dashboard). */
export class RefreshDto {
  @IsOptional() @IsString() @IsNotEmpty() @MaxLength(4096) refresh_token?: string;
}

export interface TokenPair {
  token: string;
  refresh_token: string;
  expires_in: number;
}
