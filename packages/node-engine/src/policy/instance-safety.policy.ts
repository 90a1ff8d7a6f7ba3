import { realpathSync } from 'node:fs';
import * as path from 'node:path';
import type { InstanceSpecDto } from '@canopy/schema';
import { isInternalHost, registryHost } from './registry-policy';

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
  /** named Docker volumes (`name:/path`): shared with every other tenant's instances on this node; default false */
  allowNamedVolumes?: boolean;
  /** Docker's data root, never bound (other containers' files live there); default /var/lib/docker */
  dockerDataRoot?: string;
  /** lowest host port an instance may publish on; default 1024 (below is for the host's own services) */
  hostPortMin?: number;
  /** highest host port; default 65535 */
  hostPortMax?: number;
  /** port entries per instance (each is a proxy and a host port); default 16 */
  maxPorts?: number;
  /** images from loopback, link-local and private registry addresses; default false */
  allowPrivateRegistries?: boolean;
  /** how a bind source is resolved to the path it reaches; default the real path (symlinks followed) */
  resolvePath?: (p: string) => string;
}

export const POLICY_DEFAULTS = {
  dockerDataRoot: '/var/lib/docker',
  hostPortMin: 1024,
  hostPortMax: 65535,
  maxPorts: 16,
} as const;

/**
 * Host trees no bind may reach, whatever the node allows: kernel interfaces, devices, and
 * containerd's store (Docker's layers and snapshots when it uses containerd's image store).
 */
const NEVER_BOUND = ['/proc', '/sys', '/dev', '/var/lib/containerd'];

/** Each is root on the host: Docker's socket, and containerd's beneath it. */
const DOCKER_SOCKETS = ['/run/docker.sock', '/var/run/docker.sock', '/run/containerd/containerd.sock'];

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
  const forbidden = [...NEVER_BOUND, canonical(policy.dockerDataRoot ?? POLICY_DEFAULTS.dockerDataRoot)];
  const resolve = policy.resolvePath ?? resolveHostPath;
  for (const bind of spec.binds ?? []) {
    const written = bindSource(bind);
    if (written === undefined) {
      // A named volume: Docker's own storage, shared by every instance that names it.
      if (policy.allowNamedVolumes !== true) {
        out.push(
          `named volume in "${bind}" is not allowed on this node (set NODE_ALLOW_NAMED_VOLUMES=true to allow it)`,
        );
      }
      continue;
    }
    const options = bind.split(':').slice(2).join(':');
    if (options !== '' && !options.split(',').every((o) => o === 'ro' || o === 'rw')) {
      // `z`/`Z` relabel the host's files for SELinux, `shared`/`rshared` propagate mounts back.
      out.push(`bind mount "${bind}" has options other than ro and rw, which this node does not take`);
      continue;
    }
    if (!written.startsWith('/')) {
      // Docker itself refuses these; judging them against the node's own working directory would
      // only guess.
      out.push(`bind mount "${bind}" must name an absolute host path`);
      continue;
    }
    // Judge the path the bind reaches, not how it is spelled: `/proc/self/root/run/docker.sock` or a
    // symlink into /var/lib/docker are the socket and the data root.
    const reached = canonical(resolve(written));
    // Every step on the way counts too: `<dir>/link-to-proc/self/root/etc` ends at /etc, but only
    // by walking through /proc, which no bind may do.
    const via = ancestors(written).map((p) => canonical(resolve(p)));
    const inside = (p: string, root: string) => p === root || p.startsWith(`${root}/`);
    const touches = (root: string) =>
      via.some((p) => inside(p, root)) ||
      [written, reached].some((p) => inside(p, root) || root.startsWith(`${p === '/' ? '' : p}/`));
    const kernel = forbidden.find(touches);
    if (kernel !== undefined) {
      out.push(`bind mount "${bind}" reaches ${kernel}, which is never allowed on this node`);
      continue;
    }
    const source = reached;
    if (exposesDockerSocket(source, sockets) || exposesDockerSocket(written, sockets)) {
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
  const maxPorts = policy.maxPorts ?? POLICY_DEFAULTS.maxPorts;
  if (spec.ports.length > maxPorts) {
    out.push(`${spec.ports.length} port entries are more than this node allows (${maxPorts}, NODE_MAX_PORTS)`);
  }
  const min = policy.hostPortMin ?? POLICY_DEFAULTS.hostPortMin;
  const max = policy.hostPortMax ?? POLICY_DEFAULTS.hostPortMax;
  for (const port of spec.ports) {
    if (port.hostPort !== undefined && (port.hostPort < min || port.hostPort > max)) {
      out.push(`host port ${port.hostPort} is outside this node's range ${min}-${max} (NODE_HOST_PORT_RANGE)`);
    }
  }
  const allowed = new Set(policy.allowCapabilities.map(normaliseCapability));
  for (const cap of spec.capAdd ?? []) {
    const name = normaliseCapability(cap);
    if (!allowed.has('ALL') && !allowed.has(name)) {
      out.push(`capability ${name} is not allowed on this node (add it to NODE_ALLOW_CAPABILITIES to allow it)`);
    }
  }
  const registry = registryHost(spec.image);
  if (registry !== undefined && isInternalHost(registry) && policy.allowPrivateRegistries !== true) {
    out.push(
      `image ${spec.image} names a registry on a loopback, link-local or private address, which is not allowed on this node (set NODE_ALLOW_PRIVATE_REGISTRIES=true to allow it)`,
    );
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

/**
 * The path a bind source reaches: symlinks followed (`/proc/self/root` is `/`); for a path that does
 * not exist yet (Docker would create it), its nearest existing ancestor is resolved.
 */
export function resolveHostPath(p: string): string {
  const absolute = path.posix.resolve(p);
  let head = absolute;
  const tail: string[] = [];
  for (;;) {
    try {
      return path.posix.join(realpathSync(head), ...tail);
    } catch {
      if (head === '/') {
        return absolute;
      }
      tail.unshift(path.posix.basename(head));
      head = path.posix.dirname(head);
    }
  }
}

/** `/a/b/c` → `/a`, `/a/b` (the path itself is judged on its own). */
function ancestors(p: string): string[] {
  const parts = p.split('/').filter((x) => x !== '');
  return parts.slice(0, -1).map((_, i) => `/${parts.slice(0, i + 1).join('/')}`);
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
    sockets.some((s) => s === source || source === '/' || s.startsWith(`${source}/`)) ||
    /(docker|containerd)\.sock$/.test(source)
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
