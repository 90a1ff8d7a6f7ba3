import { lookup } from 'node:dns/promises';
import { isIPv4, isIPv6 } from 'node:net';
import { isInternalHost, registryHost } from '@canopy/schema/lite';

// The literal judgement is shared with the root's early check.
export { isInternalHost, registryHost };

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
