import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { StaleVersionError, UnauthorizedError } from '@canopy/schema';
import { ROOT_CONFIG, JWT_ISSUER } from '../common/tokens';
import type { RootConfig } from '../config/root-config';
import type { RefreshFamily, Role, UserRecord } from '../persistence/records';
import { UsersService } from '../users/users.service';
import type { TokenPair } from './dto/login.dto';
import type { Principal } from './principal';

interface TokenClaims {
  /** The user's id (Canopy's), what the dashboard calls `/api/user/<sub>` with. */
  sub: string;
  username: string;
  role: Role;
  /** Oakestra's claim: the dashboard shows admin menus when it holds "Admin". */
  roles: Role[];
  typ: 'access' | 'refresh';
  /** The user's `tokenVersion` when issued. */
  ver: number;
  /** Refresh tokens only: the family (login) and this token's id within it. */
  fam?: string;
  jti?: string;
  exp?: number;
  iss?: string;
}

/** At most this many concurrent logins per user keep a refresh family; the oldest is dropped. */
const MAX_FAMILIES = 20;

@Injectable()
export class AuthService {
  constructor(
    private readonly jwt: JwtService,
    private readonly users: UsersService,
    @Inject(ROOT_CONFIG) private readonly config: RootConfig,
  ) {}

  async login(username: string, password: string): Promise<TokenPair> {
    const user = await this.users.findByUsername(username);
    // Same answer, and the same work (one argon2 verify), for an unknown user and a wrong
    // password: neither the message nor the time tells which names exist. A service account has
    // no password; its hash never verifies.
    const ok = await this.users.verifyPasswordOrDummy(user, password);
    if (!user || user.serviceAccount === true || !ok) {
      throw new UnauthorizedError('wrong username or password');
    }
    return this.issue(user, randomUUID());
  }

  /**
   * Rotates the refresh token: the presented one must be the family's current one. An older
   * token of the family (a replay) revokes the whole family, so a stolen token is good once at most.
   */
  async refresh(refreshToken: string): Promise<TokenPair> {
    const claims = await this.verify(refreshToken, 'refresh');
    // Re-read the user: a deleted account or changed role must not live on through refreshes.
    const user = await this.users.get(claims.sub);
    if (!user) throw new UnauthorizedError('the account no longer exists');
    if ((user.tokenVersion ?? 0) !== claims.ver) throw new UnauthorizedError('the session was revoked');
    const family = (user.refreshFamilies ?? []).find((f) => f.id === claims.fam);
    if (!family) throw new UnauthorizedError('the session was revoked');
    if (family.currentJti !== claims.jti) {
      await this.updateFamilies(user, (families) => families.filter((f) => f.id !== family.id)).catch(() => undefined);
      throw new UnauthorizedError('this refresh token was already used; the session is revoked');
    }
    return this.issue(user, family.id, family.currentJti);
  }

  /** Checks the token, then the user as stored now: deleted, demoted or re-passworded users lose access at once. */
  async verifyAccessToken(token: string): Promise<Principal> {
    const claims = await this.verify(token, 'access');
    const user = await this.users.get(claims.sub);
    if (!user || user.serviceAccount === true) throw new UnauthorizedError('the account no longer exists');
    if ((user.tokenVersion ?? 0) !== claims.ver) throw new UnauthorizedError('the session was revoked');
    return { userId: user.id, username: user.username, role: user.role };
  }

  private async issue(user: UserRecord, familyId: string, expectedJti?: string): Promise<TokenPair> {
    const jti = randomUUID();
    const expiresAt = new Date(Date.now() + this.config.refreshTokenTtlS * 1000).toISOString();
    try {
      await this.updateFamilies(user, (families) => {
        const current = families.find((f) => f.id === familyId);
        // A concurrent refresh with the same token already rotated it: treat this one as the replay.
        if (expectedJti !== undefined && current?.currentJti !== expectedJti)
          throw new StaleVersionError('user', user.id);
        const next: RefreshFamily = { id: familyId, currentJti: jti, expiresAt };
        return [...families.filter((f) => f.id !== familyId), next].slice(-MAX_FAMILIES);
      });
    } catch (e) {
      if (e instanceof StaleVersionError) throw new UnauthorizedError('this refresh token was already used');
      throw e;
    }
    const base = {
      sub: user.id,
      username: user.username,
      role: user.role,
      roles: [user.role],
      ver: user.tokenVersion ?? 0,
    };
    const [token, refresh_token] = await Promise.all([
      this.jwt.signAsync({ ...base, typ: 'access' }, { expiresIn: this.config.accessTokenTtlS }),
      this.jwt.signAsync(
        { ...base, typ: 'refresh', fam: familyId },
        { expiresIn: this.config.refreshTokenTtlS, jwtid: jti },
      ),
    ]);
    return { token, refresh_token, expires_in: this.config.accessTokenTtlS };
  }

  /** Read-modify-write of the user's refresh families; expired ones are dropped on the way. */
  private async updateFamilies(
    user: UserRecord,
    change: (families: RefreshFamily[]) => RefreshFamily[],
  ): Promise<void> {
    const fresh = (await this.users.get(user.id)) ?? user;
    const now = new Date().toISOString();
    const live = (fresh.refreshFamilies ?? []).filter((f) => f.expiresAt > now);
    await this.users.save({ ...fresh, refreshFamilies: change(live) });
  }

  private async verify(token: string, typ: TokenClaims['typ']): Promise<TokenClaims> {
    let claims: TokenClaims;
    try {
      claims = await this.jwt.verifyAsync<TokenClaims>(token, { algorithms: ['HS256'], issuer: JWT_ISSUER });
    } catch {
      throw new UnauthorizedError('invalid or expired token');
    }
    // `exp` and `iss` are required: a token signed without them (a leaked key's forgery) is refused.
    if (typeof claims.exp !== 'number' || claims.iss !== JWT_ISSUER)
      throw new UnauthorizedError('invalid or expired token');
    if (claims.typ !== typ) throw new UnauthorizedError(`a ${typ} token is required`);
    if (typeof claims.sub !== 'string' || typeof claims.ver !== 'number')
      throw new UnauthorizedError('invalid or expired token');
    return claims;
  }
}
