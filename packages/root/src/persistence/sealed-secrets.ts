import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { Doc } from './records';
import type { Collection, Store } from './store.port';

const PREFIX = 'enc:v1:';

/**
 * AES-256-GCM for the few secrets records carry (registry passwords), so neither the SQLite file
 * nor a MongoDB dump holds them in clear. The key lives apart from the data: in the root's data
 * directory (`secrets.json`, 0600), also with MongoDB.
 */
export class SecretBox {
  private readonly key: Buffer;

  constructor(key: string) {
    this.key = Buffer.from(key, 'base64url');
    if (this.key.length !== 32) {
      throw new Error('the store key must be 32 bytes (base64url)');
    }
  }

  seal(plain: string): string {
    if (plain.startsWith(PREFIX)) {
      return plain;
    }
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return `${PREFIX}${Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url')}`;
  }

  /** A value written before sealing existed (no prefix) reads as it is. */
  open(value: string): string {
    if (!value.startsWith(PREFIX)) {
      return value;
    }
    const raw = Buffer.from(value.slice(PREFIX.length), 'base64url');
    const decipher = createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, 12));
    decipher.setAuthTag(raw.subarray(12, 28));
    return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
  }
}

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
