import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConflictError, StaleVersionError } from '../src/common/domain-errors';
import { SqliteStore } from '../src/persistence/sqlite.store';
import type { ApplicationRecord } from '../src/persistence/records';

function app(
  id: string,
  ownerId: string,
  name: string,
): Omit<ApplicationRecord, 'version' | 'createdAt' | 'updatedAt'> {
  return {
    id,
    ownerId,
    customerID: 'c',
    application_name: name,
    application_namespace: 'ns',
    application_desc: '',
    microservices: [],
  };
}

describe('SqliteStore (real SQLite file)', () => {
  let dir: string;
  let store: SqliteStore;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'canopy-store-'));
    store = new SqliteStore(dir);
  });

  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('stores, finds by field, and survives reopening the file', async () => {
    await store.applications.insert(app('a1', 'u1', 'one'));
    await store.applications.insert(app('a2', 'u2', 'two'));
    await store.applications.insert(app('a3', 'u1', 'three'));
    expect((await store.applications.find({ ownerId: 'u1' })).map((a) => a.id)).toEqual(['a1', 'a3']);
    await store.close();
    store = new SqliteStore(dir);
    const again = await store.applications.get('a2');
    expect(again).toMatchObject({ application_name: 'two', version: 1 });
  });

  it('refuses a duplicate id and a stale update', async () => {
    const first = await store.applications.insert(app('a1', 'u1', 'one'));
    await expect(store.applications.insert(app('a1', 'u1', 'other'))).rejects.toBeInstanceOf(ConflictError);
    const updated = await store.applications.update({ ...first, application_desc: 'new' });
    expect(updated.version).toBe(2);
    await expect(store.applications.update({ ...first, application_desc: 'stale' })).rejects.toBeInstanceOf(
      StaleVersionError,
    );
    expect((await store.applications.get('a1'))?.application_desc).toBe('new');
  });

  it('rolls back every write of a failed transaction', async () => {
    await expect(
      store.transaction(async () => {
        await store.applications.insert(app('a1', 'u1', 'one'));
        await store.applications.insert(app('a2', 'u1', 'two'));
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await store.applications.find()).toEqual([]);
  });

  it('keeps writes outside a transaction out of it', async () => {
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const tx = store.transaction(async () => {
      await store.applications.insert(app('in', 'u1', 'in'));
      await held;
      throw new Error('rollback');
    });
    const outside = store.applications.insert(app('out', 'u1', 'out'));
    release();
    await expect(tx).rejects.toThrow('rollback');
    await outside;
    expect((await store.applications.find()).map((a) => a.id)).toEqual(['out']);
  });
});
