/* eslint-disable @typescript-eslint/require-await -- the fake implements the async ComponentsPort synchronously, in memory */
import { randomUUID } from 'node:crypto';
import { ConflictError, NotFoundError, StaleVersionError, ValidationFailedError } from '@canopy/nest-edge';
import { AEROS_API_VERSION, AEROS_KINDS, type AerosKind, type FieldError } from '@canopy/schema';
import type { Principal } from '../../src/auth/principal';
import type { ComponentObject, ComponentsPort } from '../../src/aeros/components.port';

type Event = { type: 'ADDED' | 'MODIFIED' | 'DELETED'; object: ComponentObject };

/**
 * An in-memory `ComponentsPort` for the `/k8s` controller specs: stores CRs per owner, bumps
 * resourceVersion on each write, checks the few fields the controllers' error mapping needs
 * (kind, metadata.name, spec.image) and raises the same domain errors the real service does.
 * It deploys nothing; status stays `Starting` unless a test sets it.
 */
export class FakeComponents implements ComponentsPort {
  private readonly objects = new Map<string, { owner: string; object: ComponentObject }>();
  private readonly listeners = new Set<(e: Event) => void>();
  private version = 0;

  async create(user: Principal, body: unknown, namespace?: string): Promise<ComponentObject> {
    const cr = check(body);
    const ns = namespace ?? cr.metadata.namespace ?? 'default';
    const id = key(cr.kind, ns, cr.metadata.name);
    if (this.objects.has(id)) {
      throw new ConflictError(`${cr.metadata.name} exists`);
    }
    const object: ComponentObject = {
      apiVersion: AEROS_API_VERSION,
      kind: cr.kind,
      metadata: {
        name: cr.metadata.name,
        namespace: ns,
        uid: randomUUID(),
        resourceVersion: String(++this.version),
        generation: 1,
        creationTimestamp: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
        ...(cr.metadata.labels ? { labels: cr.metadata.labels } : {}),
        ...(cr.metadata.annotations ? { annotations: cr.metadata.annotations } : {}),
      },
      spec: cr.spec,
      status: {
        serviceComponentStatus: 'Starting',
        infrastructureElement: null,
        hostname: null,
        canopyStatus: 'REQUESTED',
        detail: '',
        serviceId: randomUUID(),
        applicationId: randomUUID(),
        hostPorts: [],
        observedGeneration: 1,
      },
    };
    this.objects.set(id, { owner: user.userId, object });
    this.emit('ADDED', object);
    return structuredClone(object);
  }

  async get(user: Principal, kind: AerosKind, namespace: string, name: string): Promise<ComponentObject> {
    return structuredClone(this.owned(user, kind, namespace, name).object);
  }

  async list(user: Principal, kind: AerosKind, namespace?: string): Promise<ComponentObject[]> {
    return [...this.objects.values()]
      .filter((e) => (user.role === 'Admin' || e.owner === user.userId) && e.object.kind === kind)
      .filter((e) => namespace === undefined || e.object.metadata.namespace === namespace)
      .map((e) => structuredClone(e.object));
  }

  async replace(
    user: Principal,
    kind: AerosKind,
    namespace: string,
    name: string,
    body: unknown,
  ): Promise<ComponentObject> {
    const entry = this.owned(user, kind, namespace, name);
    const cr = check(body);
    const sent = (body as { metadata?: { resourceVersion?: unknown } }).metadata?.resourceVersion;
    if (sent !== undefined && sent !== entry.object.metadata.resourceVersion) {
      throw new StaleVersionError(kind, name);
    }
    const specChanged = JSON.stringify(cr.spec) !== JSON.stringify(entry.object.spec);
    const { labels: _l, annotations: _a, ...meta } = entry.object.metadata;
    entry.object = {
      ...entry.object,
      metadata: {
        ...meta,
        resourceVersion: String(++this.version),
        generation: entry.object.metadata.generation + (specChanged ? 1 : 0),
        ...(cr.metadata.labels ? { labels: cr.metadata.labels } : {}),
        ...(cr.metadata.annotations ? { annotations: cr.metadata.annotations } : {}),
      },
      spec: cr.spec,
    };
    this.emit('MODIFIED', entry.object);
    return structuredClone(entry.object);
  }

  async replaceSpec(
    user: Principal,
    kind: AerosKind,
    namespace: string,
    name: string,
    spec: unknown,
  ): Promise<ComponentObject> {
    const current = this.owned(user, kind, namespace, name).object;
    return this.replace(user, kind, namespace, name, { ...current, spec });
  }

  async mergePatch(
    user: Principal,
    kind: AerosKind,
    namespace: string,
    name: string,
    patch: unknown,
  ): Promise<ComponentObject> {
    if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) {
      throw new ValidationFailedError([{ path: '$', message: 'a merge patch must be a JSON object' }]);
    }
    const current = this.owned(user, kind, namespace, name).object;
    const merged = merge(current, patch) as Record<string, unknown>;
    return this.replace(user, kind, namespace, name, merged);
  }

  async delete(user: Principal, kind: AerosKind, namespace: string, name: string): Promise<ComponentObject> {
    const entry = this.owned(user, kind, namespace, name);
    this.objects.delete(key(kind, namespace, name));
    this.emit('DELETED', entry.object);
    return structuredClone(entry.object);
  }

  subscribe(listener: (e: Event) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** How many watches are open (a test proves a closed watch unsubscribed). */
  get subscribers(): number {
    return this.listeners.size;
  }

  private owned(user: Principal, kind: AerosKind, namespace: string, name: string) {
    const entry = this.objects.get(key(kind, namespace, name));
    if (!entry || (user.role !== 'Admin' && entry.owner !== user.userId)) {
      throw new NotFoundError(kind, name);
    }
    return entry;
  }

  private emit(type: Event['type'], object: ComponentObject): void {
    for (const l of this.listeners) {
      l({ type, object: structuredClone(object) });
    }
  }
}

interface CheckedCr {
  kind: AerosKind;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: Record<string, unknown>;
}

function check(body: unknown): CheckedCr {
  const b = (body ?? {}) as Partial<CheckedCr> & { kind?: unknown };
  const errors: FieldError[] = [];
  if (!AEROS_KINDS.includes(b.kind as AerosKind)) {
    errors.push({ path: 'kind', message: 'kind is not an aerOS kind' });
  }
  const name = b.metadata?.name;
  if (typeof name !== 'string' || !/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(name)) {
    errors.push({ path: 'metadata.name', message: 'metadata.name must be a DNS-1123 label' });
  }
  if (typeof b.spec?.image !== 'string') {
    errors.push({ path: 'spec.image', message: 'image must be a string' });
  }
  if (errors.length > 0) {
    throw new ValidationFailedError(errors);
  }
  return b as CheckedCr;
}

function key(kind: AerosKind, namespace: string, name: string): string {
  return `${kind}/${namespace}/${name}`;
}

function merge(target: unknown, patch: unknown): unknown {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) {
    return patch;
  }
  const base: Record<string, unknown> =
    typeof target === 'object' && target !== null && !Array.isArray(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) {
      delete base[k];
    } else {
      base[k] = merge(base[k], v);
    }
  }
  return base;
}
