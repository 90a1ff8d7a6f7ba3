import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from '../src/persistence/sqlite.store';
import type { Store } from '../src/persistence/store.port';
import { describeStoreContract } from './store.contract';

/** The store contract against a real SQLite file in a temp directory; reopen = a new SqliteStore on the file. */
describeStoreContract('SqliteStore (real SQLite file)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'canopy-store-'));
  let store: Store = new SqliteStore(dir);
  return {
    store,
    reopen: async () => {
      await store.close();
      store = new SqliteStore(dir);
      return store;
    },
    destroy: async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

/** The unique indexes themselves, under the services' checks: a second insert of a name is refused. */
describe('SqliteStore unique names (real SQLite file)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'canopy-unique-'));
  const store = new SqliteStore(dir);
  afterAll(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const user = (id: string, username: string) => ({ id, username, passwordHash: 'x', role: 'Admin' as const });

  it('refuses a second user of one name, on insert and on a rename, naming the field', async () => {
    await store.users.insert(user('u1', 'same'));
    await expect(store.users.insert(user('u2', 'same'))).rejects.toMatchObject({
      code: 'USER_NAME_TAKEN',
      errors: [{ path: 'username' }],
    });
    const other = await store.users.insert(user('u3', 'other'));
    await expect(store.users.update({ ...other, username: 'same' })).rejects.toMatchObject({ code: 'USER_NAME_TAKEN' });
    expect((await store.users.find()).map((u) => u.username).sort()).toEqual(['other', 'same']);
  });

  it('refuses a second organization of one name', async () => {
    await store.organizations.insert({ id: 'o1', name: 'org', description: '' });
    await expect(store.organizations.insert({ id: 'o2', name: 'org', description: '' })).rejects.toMatchObject({
      code: 'ORGANIZATION_NAME_TAKEN',
    });
  });
});
