import { SecretBox } from '@canopy/nest-edge';
import type { Doc } from './records';
import type { Collection, Store } from './store.port';

export { SecretBox };

/** Where one secret sits in a record: the object holding it and its key, if the record has one. */
type Path = (doc: Record<string, unknown>) => { at: Record<string, unknown>; key: string } | undefined;

function objectAt(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

/** The registry password of `holder.image_registry` (SLA) or `holder.imageRegistry` (aerOS CR). */
const registryOf =
  (holder: (d: Record<string, unknown>) => unknown, field: string): Path =>
  (d) => {
    const registry = objectAt(objectAt(holder(d))?.[field]);
    return registry === undefined ? undefined : { at: registry, key: 'password' };
  };

/** A copy of `doc` with the secret at `path` passed through `fn`. */
function mapSecret<T>(doc: T, path: Path, fn: (v: string) => string): T {
  const found = path(doc as Record<string, unknown>);
  if (found === undefined || typeof found.at[found.key] !== 'string') {
    return doc;
  }
  const copy = structuredClone(doc);
  const target = path(copy as Record<string, unknown>)!;
  target.at[target.key] = fn(target.at[target.key] as string);
  return copy;
}

function sealed<T extends Doc>(collection: Collection<T>, path: Path, box: SecretBox): void {
  const { get, find, insert, update } = {
    get: collection.get.bind(collection),
    find: collection.find.bind(collection),
    insert: collection.insert.bind(collection),
    update: collection.update.bind(collection),
  };
  const open = <D>(d: D): D => mapSecret(d, path, (v) => box.open(v));
  const seal = <D>(d: D): D => mapSecret(d, path, (v) => box.seal(v));
  collection.get = async (id) => {
    const found = await get(id);
    return found === undefined ? undefined : open(found);
  };
  collection.find = async (filter) => (await find(filter)).map(open);
  collection.insert = async (doc) => open(await insert(seal(doc)));
  collection.update = async (doc) => open(await update(seal(doc)));
}

/**
 * Registry passwords are sealed on every write and opened on every read, in the services, the
 * instances (each keeps its generation's spec) and the aerOS components (the CR as submitted),
 * and so is a component's WireGuard private key (`spec.networkOverlay.privateKey`, from aerOS's
 * HLO). Everything above the store keeps seeing the value it was given.
 */
export function sealRegistryPasswords(store: Store, box: SecretBox): void {
  sealed(
    store.services,
    registryOf((d) => d.sla, 'image_registry'),
    box,
  );
  sealed(
    store.instances,
    registryOf((d) => d.sla, 'image_registry'),
    box,
  );
  sealed(
    store.components,
    registryOf((d) => d.spec, 'imageRegistry'),
    box,
  );
  sealed(
    store.components,
    (d) => {
      const overlay = objectAt(objectAt(d.spec)?.networkOverlay);
      return overlay === undefined ? undefined : { at: overlay, key: 'privateKey' };
    },
    box,
  );
}
