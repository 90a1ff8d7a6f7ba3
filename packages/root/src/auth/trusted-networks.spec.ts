import { ConfigError } from '@canopy/nest-edge';
import { loadRootConfig } from '../config/root-config';
import { parseCidr, parseTrustedNetworks, TrustedNetworks } from './trusted-networks';

describe('trusted networks (AEROS_TRUSTED_NETWORKS)', () => {
  it('parses IPv4 and IPv6 CIDRs and bare addresses', () => {
    expect(parseCidr('10.0.0.0/8')).toEqual({ ok: true, address: '10.0.0.0', prefix: 8, family: 'ipv4' });
    expect(parseCidr('fd00::/8')).toEqual({ ok: true, address: 'fd00::', prefix: 8, family: 'ipv6' });
    expect(parseCidr('192.168.1.7')).toEqual({ ok: true, address: '192.168.1.7', prefix: 32, family: 'ipv4' });
    expect(parseCidr('::1')).toEqual({ ok: true, address: '::1', prefix: 128, family: 'ipv6' });
    expect(parseCidr('0.0.0.0/0')).toMatchObject({ ok: true, prefix: 0 });
  });

  it.each([
    ['10.0.0.0/33', 'prefix length must be 0..32'],
    ['fd00::/129', 'prefix length must be 0..128'],
    ['10.0.0.0/', 'prefix length'],
    ['10.0.0.0/8a', 'prefix length'],
    ['10.0.0.0/-1', 'prefix length'],
    ['10.0.0.0/8/8', 'not a CIDR'],
    ['10.0.0.300/8', 'not an IPv4 or IPv6 address'],
    ['example.org/24', 'not an IPv4 or IPv6 address'],
    ['', 'not an IPv4 or IPv6 address'],
  ])('refuses %s', (cidr, message) => {
    const parsed = parseCidr(cidr);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) {
      expect(parsed.message).toContain(message);
    }
  });

  it('reads the variable: comma-separated, blanks ignored, empty = nothing trusted', () => {
    expect(parseTrustedNetworks(undefined)).toEqual({ ok: true, cidrs: [] });
    expect(parseTrustedNetworks('')).toEqual({ ok: true, cidrs: [] });
    expect(parseTrustedNetworks(' 10.0.0.0/8 , fd00::/8,,')).toEqual({ ok: true, cidrs: ['10.0.0.0/8', 'fd00::/8'] });
    expect(parseTrustedNetworks('10.0.0.0/8,nope')).toMatchObject({
      ok: false,
      message: expect.stringContaining('"nope"'),
    });
  });

  it('matches IPv4, IPv4-mapped IPv6 and IPv6 addresses against their networks', () => {
    const trusted = new TrustedNetworks(['127.0.0.0/8', '10.1.0.0/16', 'fd00:aa::/32']);
    expect(trusted.contains('127.0.0.1')).toBe(true);
    expect(trusted.contains('127.255.0.9')).toBe(true);
    expect(trusted.contains('::ffff:127.0.0.1')).toBe(true);
    expect(trusted.contains('10.1.200.3')).toBe(true);
    expect(trusted.contains('10.2.0.1')).toBe(false);
    expect(trusted.contains('::ffff:10.2.0.1')).toBe(false);
    expect(trusted.contains('fd00:aa:1::5')).toBe(true);
    expect(trusted.contains('fd00:ab::5')).toBe(false);
    // ::1 is IPv6 loopback: not in 127.0.0.0/8.
    expect(trusted.contains('::1')).toBe(false);
  });

  it('never matches an unknown or malformed address, and an empty list matches nothing', () => {
    const trusted = new TrustedNetworks(['0.0.0.0/0', '::/0']);
    expect(trusted.contains(undefined)).toBe(false);
    expect(trusted.contains('not-an-ip')).toBe(false);
    expect(trusted.contains('1.2.3.4')).toBe(true);
    const none = new TrustedNetworks([]);
    expect(none.empty).toBe(true);
    expect(none.contains('127.0.0.1')).toBe(false);
  });
});

describe('the root config loader: AEROS_TRUSTED_NETWORKS and AEROS_SERVICE_ACCOUNT', () => {
  const load = (env: Record<string, string>) => loadRootConfig({ ROOT_DATA_DIR: '/tmp/canopy-unused', ...env });

  it('defaults to no trusted network and the service account "aeros"', () => {
    expect(load({})).toMatchObject({ aerosTrustedNetworks: [], aerosServiceAccount: 'aeros' });
  });

  it('reads both variables', () => {
    expect(load({ AEROS_TRUSTED_NETWORKS: '10.0.0.0/8, fd00::/8', AEROS_SERVICE_ACCOUNT: 'hlo-1' })).toMatchObject({
      aerosTrustedNetworks: ['10.0.0.0/8', 'fd00::/8'],
      aerosServiceAccount: 'hlo-1',
    });
  });

  it.each([
    [{ AEROS_TRUSTED_NETWORKS: '10.0.0.0/40' }, 'AEROS_TRUSTED_NETWORKS'],
    [{ AEROS_TRUSTED_NETWORKS: '10.0.0.0/8,localhost' }, 'AEROS_TRUSTED_NETWORKS'],
    [{ AEROS_SERVICE_ACCOUNT: 'has space' }, 'AEROS_SERVICE_ACCOUNT'],
    [{ AEROS_SERVICE_ACCOUNT: 'Admin' }, 'AEROS_SERVICE_ACCOUNT'],
  ])('refuses %j with a ConfigError naming the variable', (env, variable) => {
    let error: unknown;
    try {
      load(env);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect(error).toMatchObject({ variable });
    expect(String((error as Error).message)).toContain(variable);
  });
});
