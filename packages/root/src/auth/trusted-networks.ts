import { BlockList, isIP } from 'node:net';

/**
 * AEROS_TRUSTED_NETWORKS: CIDRs (IPv4 and IPv6) whose clients may call the aerOS routes without a
 * token. Matching is node's own `net.BlockList` (no extra dependency); it also matches IPv4-mapped
 * IPv6 addresses (`::ffff:10.0.0.5`, how a dual-stack socket reports an IPv4 client) against IPv4
 * rules.
 */
export class TrustedNetworks {
  private readonly list = new BlockList();

  constructor(readonly cidrs: readonly string[]) {
    for (const cidr of cidrs) {
      const parsed = parseCidr(cidr);
      if (!parsed.ok) {
        throw new TypeError(parsed.message);
      }
      this.list.addSubnet(parsed.address, parsed.prefix, parsed.family);
    }
  }

  get empty(): boolean {
    return this.cidrs.length === 0;
  }

  /** Whether a socket's remote address is in one of the networks; an unknown address never is. */
  contains(address: string | undefined): boolean {
    if (address === undefined || this.cidrs.length === 0) {
      return false;
    }
    const family = isIP(address);
    if (family === 0) {
      return false;
    }
    return this.list.check(address, family === 4 ? 'ipv4' : 'ipv6');
  }
}

export type CidrParse =
  { ok: true; address: string; prefix: number; family: 'ipv4' | 'ipv6' } | { ok: false; message: string };

/** `10.0.0.0/8`, `fd00::/8`; a bare address is a single host (/32, /128). */
export function parseCidr(text: string): CidrParse {
  const [address = '', prefixText, extra] = text.split('/');
  if (extra !== undefined) {
    return { ok: false, message: `"${text}" is not a CIDR` };
  }
  const version = isIP(address);
  if (version === 0) {
    return { ok: false, message: `"${text}": "${address}" is not an IPv4 or IPv6 address` };
  }
  const max = version === 4 ? 32 : 128;
  let prefix = max;
  if (prefixText !== undefined) {
    prefix = /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : NaN;
    if (!(prefix >= 0 && prefix <= max)) {
      return { ok: false, message: `"${text}": the prefix length must be 0..${max}` };
    }
  }
  return { ok: true, address, prefix, family: version === 4 ? 'ipv4' : 'ipv6' };
}

/** The variable's value: comma-separated, blanks around entries ignored, empty = no network. */
export function parseTrustedNetworks(
  raw: string | undefined,
): { ok: true; cidrs: string[] } | { ok: false; message: string } {
  const cidrs = (raw ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  for (const cidr of cidrs) {
    const parsed = parseCidr(cidr);
    if (!parsed.ok) {
      return parsed;
    }
  }
  return { ok: true, cidrs };
}
