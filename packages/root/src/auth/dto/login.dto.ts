import { IsNotEmpty, IsString, MaxLength } from 'class-validator';

export class LoginDto {
  @IsString() @IsNotEmpty() @MaxLength(64) username!: string;
  @IsString() @IsNotEmpty() @MaxLength(256) password!: string;
}

export class RefreshDto {
  @IsString() @IsNotEmpty() @MaxLength(4096) refresh_token!: string;
}

export interface TokenPair {
  token: string;
  refresh_token: string;
  expires_in: number;
}
