import type { InstanceSpecDto } from '@canopy/schema';

/**
 * The repository an image reference names, written one way: tag and digest dropped, the registry
 * host lower-cased, Docker Hub spelled out (`busybox` → `docker.io/library/busybox`). Every tag and
 * digest of a repository is then one entry in the node's private set.
 */
export function imageRepository(image: string): string {
  const withoutDigest = image.split('@')[0] ?? image;
  const lastSlash = withoutDigest.lastIndexOf('/');
  const colon = withoutDigest.indexOf(':', lastSlash + 1);
  const name = colon === -1 ? withoutDigest : withoutDigest.slice(0, colon);
  const parts = name.split('/');
  const first = parts[0] ?? '';
  const hasHost = parts.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost');
  if (!hasHost) {
    return parts.length === 1 ? `docker.io/library/${name}` : `docker.io/${name}`;
  }
  const host = first.toLowerCase() === 'index.docker.io' ? 'docker.io' : first.toLowerCase();
  return [host, ...parts.slice(1)].join('/');
}

/**
 * A reference Docker may take as a local image id (`sha256:…`, or a bare hex prefix of one) rather
 * than a name to pull: the node never runs such a reference from its cache, since an id names
 * whatever is there, another tenant's private image included.
 */
export function namesImageId(image: string): boolean {
  return /^sha256:[0-9a-f]+$/i.test(image) || /^[0-9a-f]{12,64}$/.test(image);
}

/**
 * Whether a launch must ask the registry even though the image may be cached: credentials came
 * along (the registry checks them), or the image is private on this node (pulled with credentials
 * before: without a login of its own the requester would run someone else's copy).
 */
export function mustPull(spec: InstanceSpecDto, privateImages: ReadonlySet<string>): boolean {
  return spec.registryAuth !== undefined || namesImageId(spec.image) || privateImages.has(imageRepository(spec.image));
}
