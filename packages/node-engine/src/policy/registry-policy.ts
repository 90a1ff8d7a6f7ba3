import { isIPv4, isIPv6 } from 'node:net';

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

/**
 * True for hosts only the node's own network reaches: loopback, link-local (cloud metadata lives at
 * 169.254.169.254), private and unique-local ranges, and `localhost`. An image naming one makes the
 * node fetch from an address the requester could not reach itself. Names are judged as written;
 * a public name that resolves to a private address is not caught here.
 */
export function isInternalHost(host: string): boolean {
  if (host === 'localhost' || host.endsWith('.localhost')) {
    return true;
  }
  if (isIPv4(host)) {
    const [a = 0, b = 0] = host.split('.').map(Number);
    return (
      a === 127 ||
      a === 10 ||
      a === 0 ||
      (a === 169 && b === 254) ||
      (a === 172 && b >= 16 && b <= 31) ||
      (a === 192 && b === 168) ||
      (a === 100 && b >= 64 && b <= 127)
    );
  }
  if (isIPv6(host)) {
    const h = host.toLowerCase();
    if (h === '::1' || h === '::') {
      return true;
    }
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(h)?.[1];
    if (mapped !== undefined) {
      return isInternalHost(mapped);
    }
    return /^f[cd]/.test(h) || /^fe[89ab]/.test(h);
  }
  return false;
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
