import { SecretBox } from '@canopy/nest-edge';
import { COMPONENT_SPEC_SECRETS } from '@canopy/schema';
import type { Doc } from './records';
import type { Collection, Store } from './store.port';
import { objectOf } from '../common/plain-object';

export { SecretBox };

/** Where one secret sits in a record: the object holding it and its key, if the record has one. */
type Path = (doc: Record<string, unknown>) => { at: Record<string, unknown>; key: string } | undefined;

/** The secret `holder(doc)[object][key]`: an SLA's `image_registry.password`, a CR spec's secrets. */
const secretAt =
  (holder: (d: Record<string, unknown>) => unknown, object: string, key: string): Path =>
  (d) => {
    const at = objectOf(objectOf(holder(d))?.[object]);
    return at === undefined ? undefined : { at, key };
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
  const slaPassword = secretAt((d) => d.sla, 'image_registry', 'password');
  sealed(store.services, slaPassword, box);
  sealed(store.instances, slaPassword, box);
  for (const [object, key] of COMPONENT_SPEC_SECRETS) {
    sealed(
      store.components,
      secretAt((d) => d.spec, object, key),
      box,
    );
  }
}
