import { lookup } from 'node:dns/promises';
import { BlockList, isIPv4, isIPv6 } from 'node:net';

/**
 * The registry host an image reference names, or `undefined` for Docker Hub (`busybox`,
 * `me/app`). Port and brackets are dropped: `[::1]:5000/x` → `::1`.
 */
export function registryHost(image: string): string | undefined {
  const first = image.split('/')[0] ?? '';
  const named = image.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost');
  if (!named) {
    return undefined;
  }
  if (first.startsWith('[')) {
    return first.slice(1, first.indexOf(']'));
  }
  return first.replace(/:\d+$/, '').toLowerCase();
}

/** Addresses only the node's own network reaches (IPv4-mapped IPv6 is judged by the IPv4 rules). */
const INTERNAL = new BlockList();
for (const [net, bits] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 3],
] as const) {
  INTERNAL.addSubnet(net, bits, 'ipv4');
}
// `::/96` holds `::`, `::1` and the old IPv4-compatible form (`::127.0.0.1`).
for (const [net, bits] of [
  ['::', 96],
  ['fc00::', 7],
  ['fe80::', 10],
  ['fec0::', 10],
  ['ff00::', 8],
] as const) {
  INTERNAL.addSubnet(net, bits, 'ipv6');
}

/**
 * True for hosts only the node's own network reaches: loopback, link-local (cloud metadata lives at
 * 169.254.169.254), private, shared and unique-local ranges, and `localhost`, in any spelling of the
 * address (`0:0:0:0:0:0:0:1`, `::ffff:7f00:1`, a trailing dot). Names are judged as written here;
 * {@link internalAddressOf} resolves them.
 */
export function isInternalHost(written: string): boolean {
  const host = written.toLowerCase().replace(/\.+$/, '').replace(/%.*$/, '');
  if (host === 'localhost' || host.endsWith('.localhost')) {
    return true;
  }
  if (isIPv4(host)) {
    return INTERNAL.check(host, 'ipv4');
  }
  return isIPv6(host) && INTERNAL.check(host, 'ipv6');
}

export type HostLookup = (host: string) => Promise<string[]>;

const systemLookup: HostLookup = async (host) =>
  (await lookup(host, { all: true, verbatim: true })).map((a) => a.address);

/**
 * The first internal address `host` stands for, or `undefined`: the host itself if it is one, else
 * what the system resolver (the one Docker uses too: `/etc/hosts`, then DNS) makes of it, so a name
 * such as this machine's own host name (127.0.0.1 in /etc/hosts) is caught. A name that does not
 * resolve is left to the pull, which then fails as unreachable.
 */
export async function internalAddressOf(host: string, resolve: HostLookup = systemLookup): Promise<string | undefined> {
  if (isInternalHost(host)) {
    return host;
  }
  if (isIPv4(host) || isIPv6(host)) {
    return undefined;
  }
  let addresses: string[];
  try {
    addresses = await resolve(host);
  } catch {
    return undefined;
  }
  return addresses.find((a) => isInternalHost(a));
}

/**
 * Why this node refuses to pull `image`, or `undefined`: its registry resolves to an internal
 * address and the operator has not allowed private registries.
 */
export async function registryRefusal(
  image: string,
  allowPrivate: boolean,
  resolve?: HostLookup,
): Promise<string | undefined> {
  const host = registryHost(image);
  if (allowPrivate || host === undefined) {
    return undefined;
  }
  const address = await internalAddressOf(host, resolve);
  return address === undefined
    ? undefined
    : `image ${image} names a registry on a loopback, link-local or private address (${host} is ${address}), which is not allowed on this node (set NODE_ALLOW_PRIVATE_REGISTRIES=true to allow it)`;
}

/**
 * What a failed pull says, in our words: the kind of failure and the HTTP status, never the
 * registry's own text (an image pointing at any address would otherwise read its answer back
 * through `status_detail`).
 */
export function describePullFailure(raw: string): string {
  const status = /\b(?:HTTP (?:code )?|status(?: code)?:? )(\d{3})\b/i.exec(raw)?.[1];
  const kinds: [RegExp, string][] = [
    [/no basic auth credentials/i, 'access denied by the registry: it requires a login and none was given'],
    [/manifest unknown|not found|does not exist|no such image/i, 'not found: the registry has no such image or tag'],
    [/unauthorized|authentication required|denied|forbidden/i, 'access denied by the registry (check its credentials)'],
    [/toomanyrequests|rate limit/i, 'rate limited by the registry'],
    [/x509|certificate|tls|http response to https/i, 'TLS with the registry failed'],
    [
      /no such host|dial tcp|connection refused|i\/o timeout|timeout|unreachable|EOF/i,
      'the registry could not be reached',
    ],
  ];
  const kind = kinds.find(([re]) => re.test(raw))?.[1] ?? 'the registry answered with an error';
  return status === undefined ? kind : `${kind} (HTTP ${status})`;
}
