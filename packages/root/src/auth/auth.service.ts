import { Inject, Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { UnauthorizedError } from '@canopy/schema';
import { ROOT_CONFIG } from '../common/tokens';
import type { RootConfig } from '../config/root-config';
import type { Role } from '../persistence/records';
import { UsersService } from '../users/users.service';
import type { TokenPair } from './dto/login.dto';
import type { Principal } from './principal';

interface TokenClaims {
  sub: string;
  username: string;
  role: Role;
  typ: 'access' | 'refresh';
}

@Injectable()
export class AuthService {
  constructor(
    private readonly jwt: JwtService,
    private readonly users: UsersService,
    @Inject(ROOT_CONFIG) private readonly config: RootConfig,
  ) {}

  async login(username: string, password: string): Promise<TokenPair> {
    const user = await this.users.findByUsername(username);
    // Same answer for unknown user and wrong password: no account enumeration. A service account
    // has no password; it is refused before any hash is looked at.
    if (!user || user.serviceAccount === true || !(await this.users.verifyPassword(user, password))) {
      throw new UnauthorizedError('wrong username or password');
    }
    return this.issue({ userId: user.id, username: user.username, role: user.role });
  }

  async refresh(refreshToken: string): Promise<TokenPair> {
    const claims = await this.verify(refreshToken, 'refresh');
    // Re-read the user: a deleted account or changed role must not live on through refreshes.
    const user = await this.users.get(claims.sub);
    if (!user) {
      throw new UnauthorizedError('the account no longer exists');
    }
    return this.issue({ userId: user.id, username: user.username, role: user.role });
  }

  async verifyAccessToken(token: string): Promise<Principal> {
    const claims = await this.verify(token, 'access');
    return { userId: claims.sub, username: claims.username, role: claims.role };
  }

  private async issue(p: Principal): Promise<TokenPair> {
    const base = { sub: p.userId, username: p.username, role: p.role };
    const [token, refresh_token] = await Promise.all([
      this.jwt.signAsync({ ...base, typ: 'access' }, { expiresIn: this.config.accessTokenTtlS }),
      this.jwt.signAsync({ ...base, typ: 'refresh' }, { expiresIn: this.config.refreshTokenTtlS }),
    ]);
    return { token, refresh_token, expires_in: this.config.accessTokenTtlS };
  }

  private async verify(token: string, typ: TokenClaims['typ']): Promise<TokenClaims> {
    let claims: TokenClaims;
    try {
      claims = await this.jwt.verifyAsync<TokenClaims>(token, { algorithms: ['HS256'] });
    } catch {
      throw new UnauthorizedError('invalid or expired token');
    }
    if (claims.typ !== typ) {
      throw new UnauthorizedError(`a ${typ} token is required`);
    }
    return claims;
  }
}
