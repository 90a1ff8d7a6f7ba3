import { IsInt, IsOptional, IsString, Matches, Max, Min } from 'class-validator';

export class CreateApiTokenDto {
  @IsString()
  @Matches(/^[\w .:@-]{1,64}$/, { message: 'name must be 1-64 letters, digits, spaces, _ . : @ -' })
  name!: string;
  /** Absent: the token never expires (revoke it with DELETE). */
  @IsOptional() @IsInt() @Min(1) @Max(3650) expires_in_days?: number;
}

/** What the API shows of a token: never its value or hash. */
export interface ApiTokenView {
  id: string;
  name: string;
  created_at: string;
  /** null: no expiry */
  expires_at: string | null;
  /** The admin who minted it. */
  created_by: string;
  /** The user it acts as (the aerOS service account). */
  user_id: string;
}

/** The answer to minting: the only time the token's value is shown. */
export interface MintedApiTokenView extends ApiTokenView {
  token: string;
}
