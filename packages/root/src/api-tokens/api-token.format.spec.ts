import { sha256Hex } from '@canopy/nest-edge';
import { API_TOKEN_PREFIX, looksLikeApiToken, mintApiToken, parseApiToken } from './api-token.format';

describe('API token format', () => {
  it('mints canopy_at_<16 hex id>_<43 base64url> and stores only the hash of the secret', () => {
    const minted = mintApiToken();
    expect(minted.token).toMatch(/^canopy_at_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    expect(minted.token.startsWith(`${API_TOKEN_PREFIX}${minted.id}_`)).toBe(true);
    const parsed = parseApiToken(minted.token);
    expect(parsed?.id).toBe(minted.id);
    expect(sha256Hex(parsed?.secret ?? '')).toBe(minted.secretHash);
    expect(minted.secretHash).toMatch(/^[0-9a-f]{64}$/);
    expect(minted.token).not.toContain(minted.secretHash);
  });

  it('never mints the same token twice', () => {
    const tokens = new Set(Array.from({ length: 1000 }, () => mintApiToken().token));
    expect(tokens.size).toBe(1000);
  });

  it('keeps a secret whose base64url contains "_" or "-" whole', () => {
    const token = `canopy_at_0123456789abcdef_${'_-'.repeat(21)}a`;
    expect(parseApiToken(token)).toEqual({ id: '0123456789abcdef', secret: `${'_-'.repeat(21)}a` });
  });

  it.each([
    ['a JWT', 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.sig'],
    ['no secret', 'canopy_at_0123456789abcdef_'],
    ['a short secret', `canopy_at_0123456789abcdef_${'a'.repeat(42)}`],
    ['a long secret', `canopy_at_0123456789abcdef_${'a'.repeat(44)}`],
    ['an upper-case id', `canopy_at_0123456789ABCDEF_${'a'.repeat(43)}`],
    ['a foreign character', `canopy_at_0123456789abcdef_${'a'.repeat(42)}=`],
    ['trailing space', `canopy_at_0123456789abcdef_${'a'.repeat(43)} `],
  ])('refuses %s', (_what, token) => {
    expect(parseApiToken(token)).toBeUndefined();
  });

  it('tells API tokens from JWTs by the prefix', () => {
    expect(looksLikeApiToken(mintApiToken().token)).toBe(true);
    expect(looksLikeApiToken('eyJhbGciOiJIUzI1NiJ9.e30.x')).toBe(false);
  });
});
