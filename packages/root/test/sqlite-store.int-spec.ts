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
