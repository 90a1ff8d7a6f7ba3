import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from '../src/persistence/sqlite.store';
import { StoreChanges, observedStore, type StoreChange } from '../src/persistence/store-changes';
import type { Store } from '../src/persistence/store.port';
import { describeStoreContract } from './store.contract';
import { app, service } from './support/store-records';

/** The observed store keeps the whole store contract (a real SQLite file underneath). */
describeStoreContract('observedStore over SqliteStore', () => {
  const dir = mkdtempSync(join(tmpdir(), 'canopy-observed-'));
  const changes = new StoreChanges();
  changes.on('services', () => undefined);
  let inner = new SqliteStore(dir);
  let store: Store = observedStore(inner, changes);
  return {
    store,
    reopen: async () => {
      await store.close();
      inner = new SqliteStore(dir);
      store = observedStore(inner, changes);
      return store;
    },
    destroy: async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

describe('StoreChanges: the store write hook', () => {
  let dir: string;
  let inner: SqliteStore;
  let store: Store;
  let changes: StoreChanges;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'canopy-changes-'));
    inner = new SqliteStore(dir);
    changes = new StoreChanges();
    store = observedStore(inner, changes);
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('announces each insert, update and delete of the watched collection, after it landed', async () => {
    const seen: StoreChange<'services'>[] = [];
    changes.on('services', (c) => {
      seen.push(c);
    });
    await store.applications.insert(app('a1'));
    const created = await store.services.insert(service('s1', 'a1'));
    const updated = await store.services.update({ ...created, replicas: 3 });
    expect(await store.services.delete('s1')).toBe(true);
    expect(await store.services.delete('s1')).toBe(false);
    expect(seen.map((c) => [c.action, c.record.id, c.record.version])).toEqual([
      ['created', 's1', 1],
      ['updated', 's1', 2],
      ['deleted', 's1', 2],
    ]);
    expect(seen[1]?.record).toEqual(updated);
  });

  it('says nothing for a failed write, and nothing to listeners of other collections', async () => {
    const seen: string[] = [];
    changes.on('instances', (c) => seen.push(`instances:${c.action}`));
    const off = changes.on('services', (c) => seen.push(`services:${c.action}`));
    await store.applications.insert(app('a1'));
    const created = await store.services.insert(service('s1', 'a1'));
    await expect(store.services.update({ ...created, version: 7 })).rejects.toThrow();
    off();
    await store.services.update(created);
    expect(seen).toEqual(['services:created']);
  });

  it('leaves the wrapped store untouched: writes through it directly are not announced', async () => {
    const seen: string[] = [];
    changes.on('applications', (c) => seen.push(c.record.id));
    await inner.applications.insert(app('direct'));
    await store.applications.insert(app('observed'));
    expect(seen).toEqual(['observed']);
    expect((await store.applications.find()).map((a) => a.id).sort()).toEqual(['direct', 'observed']);
  });
});
