import { SecretBox } from '@canopy/nest-edge';
import type { Doc } from './records';
import type { Collection, Store } from './store.port';

export { SecretBox };

type Registry = { password?: unknown } | null | undefined;
type Holder = { image_registry?: Registry } | null | undefined;
type Path = (doc: Record<string, unknown>) => Holder;

/** A copy of `doc` with the registry password under `holder` passed through `fn`. */
function mapPassword<T>(doc: T, holderOf: Path, fn: (v: string) => string): T {
  const holder = holderOf(doc as Record<string, unknown>);
  const password = holder?.image_registry?.password;
  if (holder === null || holder === undefined || typeof password !== 'string') {
    return doc;
  }
  const copy = structuredClone(doc);
  const target = holderOf(copy as Record<string, unknown>);
  (target!.image_registry as { password: string }).password = fn(password);
  return copy;
}

function sealed<T extends Doc>(collection: Collection<T>, holderOf: Path, box: SecretBox): void {
  const { get, find, insert, update } = {
    get: collection.get.bind(collection),
    find: collection.find.bind(collection),
    insert: collection.insert.bind(collection),
    update: collection.update.bind(collection),
  };
  const open = <D>(d: D): D => mapPassword(d, holderOf, (v) => box.open(v));
  const seal = <D>(d: D): D => mapPassword(d, holderOf, (v) => box.seal(v));
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
 * instances (each keeps its generation's spec) and the aerOS components (the CR as submitted).
 * Everything above the store keeps seeing the password it was given.
 */
export function sealRegistryPasswords(store: Store, box: SecretBox): void {
  sealed(store.services, (d) => d.sla as Holder, box);
  sealed(store.instances, (d) => d.sla as Holder, box);
  sealed(
    store.components,
    (d) => {
      const spec = d.spec as { imageRegistry?: Registry } | undefined;
      return spec === undefined ? undefined : { image_registry: spec.imageRegistry };
    },
    box,
  );
}
