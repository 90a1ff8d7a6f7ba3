import type { Doc } from './records';
import type { Collection, Store } from './store.port';

/** The collections of a {@link Store}, by name. */
type Collections = { [K in keyof Store as Store[K] extends Collection<Doc> ? K : never]: Store[K] };
export type CollectionName = keyof Collections;
type RecordOf<K extends CollectionName> = Collections[K] extends Collection<infer T> ? T : never;

export type ChangeAction = 'created' | 'updated' | 'deleted';

/** One write that landed: the record as written (for `deleted`, as it was just before). */
export interface StoreChange<K extends CollectionName = CollectionName> {
  collection: K;
  action: ChangeAction;
  record: RecordOf<K>;
}

type Listener<K extends CollectionName> = (change: StoreChange<K>) => void;

/**
 * The hook other features subscribe to instead of wrapping the store themselves: every insert,
 * update and delete on the root's store, announced after the write returned. A write inside a
 * transaction that later rolls back is announced too (the store has no commit hook); listeners
 * that publish to users must tolerate that, as the REST views stay the truth.
 */
export class StoreChanges {
  private readonly listeners = new Map<CollectionName, Set<Listener<never>>>();

  /** Returns the unsubscribe function. */
  on<K extends CollectionName>(collection: K, listener: Listener<K>): () => void {
    let set = this.listeners.get(collection);
    if (set === undefined) {
      set = new Set();
      this.listeners.set(collection, set);
    }
    set.add(listener);
    return () => set.delete(listener);
  }

  watched(collection: CollectionName): boolean {
    return (this.listeners.get(collection)?.size ?? 0) > 0;
  }

  emit<K extends CollectionName>(change: StoreChange<K>): void {
    for (const listener of this.listeners.get(change.collection) ?? []) {
      (listener as Listener<K>)(change);
    }
  }
}

export const STORE_CHANGES = Symbol('STORE_CHANGES');

/**
 * The same store, whose collections announce each write on `changes`. The original store and its
 * collections are left as they are (nothing is patched); reads go straight through.
 */
export function observedStore(store: Store, changes: StoreChanges): Store {
  const wrap = <K extends CollectionName>(name: K): Collections[K] => {
    const inner = store[name] as unknown as Collection<RecordOf<K>>;
    const observed: Collection<RecordOf<K>> = {
      get: (id) => inner.get(id),
      find: (filter) => inner.find(filter),
      insert: async (doc) => {
        const record = await inner.insert(doc);
        changes.emit({ collection: name, action: 'created', record });
        return record;
      },
      update: async (doc) => {
        const record = await inner.update(doc);
        changes.emit({ collection: name, action: 'updated', record });
        return record;
      },
      delete: async (id) => {
        // The record is read first only when someone listens: deletes elsewhere cost nothing more.
        const before = changes.watched(name) ? await inner.get(id) : undefined;
        const deleted = await inner.delete(id);
        if (deleted && before !== undefined) {
          changes.emit({ collection: name, action: 'deleted', record: before });
        }
        return deleted;
      },
    };
    return observed as unknown as Collections[K];
  };
  return {
    users: wrap('users'),
    organizations: wrap('organizations'),
    applications: wrap('applications'),
    services: wrap('services'),
    instances: wrap('instances'),
    clusters: wrap('clusters'),
    components: wrap('components'),
    apiTokens: wrap('apiTokens'),
    transaction: (fn) => store.transaction(fn),
    close: () => store.close(),
  };
}
