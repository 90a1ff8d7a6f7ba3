import * as path from 'node:path';
import type { InstanceSpecDto } from '@canopy/schema';

/**
 * What this node's operator allows containers to do. The node checks every instance against it
 * itself, so a compromised or misconfigured cluster cannot get a privileged container, a host mount
 * or the Docker socket onto a worker whose owner did not opt in.
 */
export interface SafetyPolicy {
  allowPrivileged: boolean;
  /** host network, PID and IPC namespaces */
  allowHostNamespaces: boolean;
  /** bind mounts of host paths (never the Docker socket, see below) */
  allowBindMounts: boolean;
  /** binds of the Docker socket or a directory holding it: root on the host, so a separate switch */
  allowDockerSocket: boolean;
  /** capabilities (without `CAP_`) instances may add; `ALL` allows any */
  allowCapabilities: readonly string[];
  /** image reference prefixes or `*` globs; empty = any image */
  imageAllowlist: readonly string[];
  /** GPUs this node has */
  gpus: number;
  /** the Docker socket path this node talks to, so a bind of it is recognised under any spelling */
  dockerSocketPath?: string;
}

const DOCKER_SOCKETS = ['/run/docker.sock', '/var/run/docker.sock'];

/**
 * Every reason this node refuses the instance, each naming the option and the node setting that
 * would allow it. Empty = allowed. Pure.
 */
export function refusals(spec: InstanceSpecDto, policy: SafetyPolicy): string[] {
  const out: string[] = [];
  if (spec.privileged && !policy.allowPrivileged) {
    out.push('privileged mode is not allowed on this node (set NODE_ALLOW_PRIVILEGED=true to allow it)');
  }
  const namespaces: [boolean | undefined, string][] = [
    [spec.hostNetwork, 'host network'],
    [spec.hostPid, 'host PID namespace'],
    [spec.hostIpc, 'host IPC namespace'],
  ];
  for (const [asked, what] of namespaces) {
    if (asked === true && !policy.allowHostNamespaces) {
      out.push(`${what} is not allowed on this node (set NODE_ALLOW_HOST_NAMESPACES=true to allow it)`);
    }
  }
  const sockets = socketPaths(policy.dockerSocketPath);
  for (const bind of spec.binds ?? []) {
    const source = bindSource(bind);
    if (source === undefined) {
      continue;
    } // a named volume, managed by Docker, not a host path
    if (exposesDockerSocket(source, sockets)) {
      if (!policy.allowDockerSocket) {
        out.push(
          `bind mount "${bind}" exposes the Docker socket, which is not allowed on this node (set NODE_ALLOW_DOCKER_SOCKET=true to allow it)`,
        );
      }
    } else if (!policy.allowBindMounts) {
      out.push(
        `bind mount "${bind}" of a host path is not allowed on this node (set NODE_ALLOW_BIND_MOUNTS=true to allow it)`,
      );
    }
  }
  const allowed = new Set(policy.allowCapabilities.map(normaliseCapability));
  for (const cap of spec.capAdd ?? []) {
    const name = normaliseCapability(cap);
    if (!allowed.has('ALL') && !allowed.has(name)) {
      out.push(`capability ${name} is not allowed on this node (add it to NODE_ALLOW_CAPABILITIES to allow it)`);
    }
  }
  if (policy.imageAllowlist.length > 0 && !imageAllowed(spec.image, policy.imageAllowlist)) {
    out.push(`image ${spec.image} is not on this node's allow-list (NODE_IMAGE_ALLOWLIST)`);
  }
  if (spec.vgpus > 0 && spec.vgpus > policy.gpus) {
    out.push(
      policy.gpus === 0
        ? `the instance asks for ${spec.vgpus} GPU(s) but this node has none`
        : `the instance asks for ${spec.vgpus} GPU(s) but this node has only ${policy.gpus}`,
    );
  }
  return out;
}

export function normaliseCapability(cap: string): string {
  return cap.trim().toUpperCase().replace(/^CAP_/, '');
}

/** The host side of a Docker bind spec, normalised; `undefined` for a named volume. */
export function bindSource(bind: string): string | undefined {
  const source = bind.split(':')[0] ?? '';
  if (!source.startsWith('/') && !source.startsWith('.') && !source.startsWith('~')) {
    return undefined;
  }
  return canonical(source);
}

function canonical(p: string): string {
  // /var/run is a symlink to /run on every current distribution; compare in one spelling.
  const normal = path.posix.normalize(p).replace(/\/+$/, '') || '/';
  return normal === '/var/run' || normal.startsWith('/var/run/') ? normal.slice('/var'.length) : normal;
}

function socketPaths(configured: string | undefined): string[] {
  const all = configured === undefined ? DOCKER_SOCKETS : [...DOCKER_SOCKETS, configured];
  return [...new Set(all.map(canonical))];
}

/** The socket itself, or any directory above it (mounting /run hands over the socket too). */
function exposesDockerSocket(source: string, sockets: readonly string[]): boolean {
  return (
    sockets.some((s) => s === source || source === '/' || s.startsWith(`${source}/`)) || /docker\.sock$/.test(source)
  );
}

/**
 * Entries with `*` are globs over the whole reference; others are prefixes that must end at a
 * boundary (`registry.example.org` allows `registry.example.org/x`, not `registry.example.org.evil/x`).
 * Both the reference as written and its fully qualified form are tried, so `busybox` matches
 * `docker.io/library/`.
 */
export function imageAllowed(image: string, allowlist: readonly string[]): boolean {
  const forms = [image, qualifiedImage(image)];
  return allowlist.some((entry) => forms.some((form) => matchesEntry(form, entry.trim())));
}

function matchesEntry(image: string, entry: string): boolean {
  if (entry === '') {
    return false;
  }
  if (entry.includes('*')) {
    const pattern = entry.split('*').map(escapeRegExp).join('.*');
    return new RegExp(`^${pattern}$`).test(image);
  }
  if (image === entry) {
    return true;
  }
  if (!image.startsWith(entry)) {
    return false;
  }
  if (/[/:@]$/.test(entry)) {
    return true;
  }
  return /[/:@]/.test(image.charAt(entry.length));
}

/** `busybox` → `docker.io/library/busybox`, `me/app:1` → `docker.io/me/app:1`; a registry host stays. */
export function qualifiedImage(image: string): string {
  const first = image.split('/')[0] ?? '';
  const hasRegistry = image.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost');
  if (hasRegistry) {
    return image;
  }
  return image.includes('/') ? `docker.io/${image}` : `docker.io/library/${image}`;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
