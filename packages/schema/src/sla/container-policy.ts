import { BlockList, isIPv4, isIPv6 } from 'node:net';
import type { SlaMicroservice } from './sla.dto';
import { parsePortSpec } from './port-spec';
import type { FieldError } from '../validation/validate';

/**
 * What an instance whose descriptor says `memory: 0` or `vcpus: 0` (or nothing) runs with: the node
 * engine's NODE_DEFAULT_MEMORY_MB and NODE_DEFAULT_VCPUS defaults, and so what the root's quotas
 * count it as (a zero used to mean no limit at the node and nothing against the quota).
 */
export const UNDECLARED_LIMITS = { memoryMb: 512, vcpus: 1 } as const;

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
 * the node also resolves them before it pulls.
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

/** What the root refuses early, before any node sees the spec (each node enforces its own too). */
export interface RootContainerPolicy {
  /** `CANOPY_HOST_PORT_RANGE` */
  hostPorts: { min: number; max: number };
  /** `CANOPY_ALLOW_PRIVATE_REGISTRIES` */
  allowPrivateRegistries: boolean;
}

/**
 * The root's early answer for what nodes refuse by default: a host port outside the range (ports
 * below 1024 belong to the host's own services) and an image from a registry on an internal
 * address written as such (nodes also resolve names). Errors name the SLA field, after `prefix`.
 */
export function containerPolicyErrors(ms: SlaMicroservice, policy: RootContainerPolicy, prefix = ''): FieldError[] {
  const at = (path: string): string => (prefix === '' ? path : `${prefix}.${path}`);
  const errors: FieldError[] = [];
  const parsed = parsePortSpec(ms.port ?? '');
  const { min, max } = policy.hostPorts;
  for (const m of parsed.ok ? parsed.mappings : []) {
    if (m.hostPort !== undefined && (m.hostPort < min || m.hostPort > max)) {
      errors.push({
        path: at('port'),
        message: `host port ${m.hostPort} is outside the range ${min}-${max} this root allows (CANOPY_HOST_PORT_RANGE)`,
      });
    }
  }
  const host = registryHost(ms.code);
  if (!policy.allowPrivateRegistries && host !== undefined && isInternalHost(host)) {
    errors.push({
      path: at('code'),
      message: `${ms.code} names a registry on a loopback, link-local or private address (CANOPY_ALLOW_PRIVATE_REGISTRIES)`,
    });
  }
  return errors;
}
