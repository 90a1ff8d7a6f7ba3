import { MongoStore } from '../src/persistence/mongo.store';
import { describeStoreContract } from './store.contract';

/**
 * The same store contract against MongoDB (MONGODB_URI, e.g. `mongodb://127.0.0.1:27017/?replicaSet=rs0`
 * for real transactions; a standalone server exercises the undo-log fallback). Each test gets its own
 * database, dropped afterwards.
 */
const uri = process.env.MONGODB_URI;
if (!uri) {
  process.stderr.write('MongoDB store contract skipped: MONGODB_URI is not set (MongoDB cannot run on this machine)\n');
}

let n = 0;
describeStoreContract(
  'MongoStore (real MongoDB)',
  async () => {
    const dbName = `canopy_contract_${process.pid}_${Date.now()}_${n++}`;
    const open = () => MongoStore.connect(uri ?? '', { dbName, serverSelectionTimeoutMS: 5000 });
    let store = await open();
    return {
      store,
      reopen: async () => {
        await store.close();
        store = await open();
        return store;
      },
      destroy: async () => {
        await store.dropDatabase();
        await store.close();
      },
    };
  },
  uri ? describe : describe.skip,
);
