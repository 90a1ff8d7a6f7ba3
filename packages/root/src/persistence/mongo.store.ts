import { AsyncLocalStorage } from 'node:async_hooks';
import mongoose, { type Connection, type Model } from 'mongoose';
import type {
  ApiTokenRecord,
  ApplicationRecord,
  ClusterRecord,
  ComponentRecord,
  Doc,
  InstanceRecord,
  OrganizationRecord,
  ServiceRecord,
  UserRecord,
} from './records';
import { TransactionGate } from './transaction-gate';
import type { CollectionName } from './collections';
import { mongoCollection } from './mongo-collection';
import { hasLabel, type Stored, type TxContext } from './mongo-documents';
import type { Collection, Store } from './store.port';

export interface MongoStoreOptions {
  /** Database name; overrides the one in the URI (the contract tests use one database per run). */
  dbName?: string;
  /** Default 10 s: how long to look for a server before failing the start. */
  serverSelectionTimeoutMS?: number;
}

/**
 * The MongoDB store (MONGODB_URI), through mongoose. Same contract as the SQLite store: string ids,
 * optimistic `version` (stale update → StaleVersionError → 409), duplicate id → ConflictError,
 * equality `find` in insertion order, and `transaction(fn)`:
 *
 * - On a replica set or mongos, `fn` runs in a real multi-document transaction; the session reaches
 *   every collection call inside `fn` through an AsyncLocalStorage, so callers never pass it.
 * - On a standalone server (MongoDB has no transactions there) the store falls back to an undo log:
 *   every write inside `fn` records its compensation (delete what was inserted, put back what was
 *   replaced or deleted) and a failing `fn` runs them in reverse. While such a transaction runs,
 *   every other operation of this process waits, as in the SQLite store, so nobody reads its
 *   half-written state. What the fallback cannot give is crash atomicity: a process killed in the
 *   middle of `fn` leaves the writes made so far. Production deployments should run MongoDB as a
 *   (single-node) replica set, e.g. `mongod --replSet rs0` + `rs.initiate()`.
 *
 * In both modes transactions of one process are serialized, so a "check then insert" inside a
 * transaction (unique application name per user) cannot race another in the same root.
 */
export class MongoStore implements Store {
  private readonly tx = new AsyncLocalStorage<TxContext>();
  private readonly gated = new TransactionGate();
  readonly users: Collection<UserRecord>;
  readonly organizations: Collection<OrganizationRecord>;
  readonly applications: Collection<ApplicationRecord>;
  readonly services: Collection<ServiceRecord>;
  readonly instances: Collection<InstanceRecord>;
  readonly clusters: Collection<ClusterRecord>;
  readonly components: Collection<ComponentRecord>;
  readonly apiTokens: Collection<ApiTokenRecord>;
  private readonly models: Model<Stored>[] = [];

  private constructor(
    private readonly conn: Connection,
    /** True when the server supports multi-document transactions. */
    readonly transactional: boolean,
  ) {
    this.users = this.collection('users');
    this.organizations = this.collection('organizations');
    this.applications = this.collection('applications');
    this.services = this.collection('services');
    this.instances = this.collection('instances');
    this.clusters = this.collection('clusters');
    this.components = this.collection('components');
    this.apiTokens = this.collection('apiTokens');
  }

  /** Connects, detects transaction support, and creates the collections and their indexes. */
  static async connect(uri: string, options: MongoStoreOptions = {}): Promise<MongoStore> {
    const conn = mongoose.createConnection(uri, {
      serverSelectionTimeoutMS: options.serverSelectionTimeoutMS ?? 10_000,
      // Collections and indexes are created below, explicitly and awaited, not in the background.
      autoIndex: false,
      autoCreate: false,
      ...(options.dbName ? { dbName: options.dbName } : {}),
    });
    try {
      await conn.asPromise();
      const db = conn.db;
      if (!db) {
        throw new Error('MongoDB connection has no database');
      }
      const hello = await db.admin().command({ hello: 1 });
      const transactional = typeof hello.setName === 'string' || hello.msg === 'isdbgrid';
      const store = new MongoStore(conn, transactional);
      // Collections must exist before the first transaction: older servers cannot create them inside one.
      for (const model of store.models) {
        await model.createCollection();
        await model.createIndexes();
      }
      return store;
    } catch (error) {
      await conn.close().catch(() => undefined);
      throw error;
    }
  }

  async transaction<R>(fn: () => Promise<R>): Promise<R> {
    if (this.tx.getStore()) {
      return fn();
    }
    return this.gated.hold(() => (this.transactional ? this.withSession(fn) : this.withUndoLog(fn)));
  }

  async close(): Promise<void> {
    await this.gated.idle();
    await this.conn.close();
  }

  /** Drops this store's database. For tests. */
  async dropDatabase(): Promise<void> {
    await this.conn.dropDatabase();
  }

  private async withSession<R>(fn: () => Promise<R>): Promise<R> {
    const session = await this.conn.startSession();
    try {
      session.startTransaction({ readConcern: { level: 'snapshot' }, writeConcern: { w: 'majority' } });
      const result = await this.tx.run({ session }, fn);
      try {
        await session.commitTransaction();
      } catch (error) {
        // The driver allows retrying a commit whose outcome is unknown (e.g. a failover); it is idempotent.
        if (!hasLabel(error, 'UnknownTransactionCommitResult')) {
          throw error;
        }
        await session.commitTransaction();
      }
      return result;
    } catch (error) {
      if (session.inTransaction()) {
        await session.abortTransaction();
      }
      throw error;
    } finally {
      await session.endSession();
    }
  }

  private async withUndoLog<R>(fn: () => Promise<R>): Promise<R> {
    const undo: (() => Promise<void>)[] = [];
    try {
      return await this.tx.run({ undo }, fn);
    } catch (error) {
      const failures: unknown[] = [];
      for (const step of undo.reverse()) {
        try {
          await step();
        } catch (undoError) {
          failures.push(undoError);
        }
      }
      if (failures.length > 0) {
        throw new AggregateError([error, ...failures], 'transaction failed and its rollback was incomplete');
      }
      throw error;
    }
  }

  /** Outside a transaction, wait for a running fallback transaction (no isolation from the server there). */
  private async context(): Promise<TxContext | undefined> {
    const ctx = this.tx.getStore();
    if (ctx) {
      return ctx;
    }
    if (!this.transactional) {
      await this.gated.idle();
    }
    return undefined;
  }

  private collection<T extends Doc>(name: CollectionName): Collection<T> {
    const { model, collection } = mongoCollection<T>(this.conn, name, () => this.context());
    this.models.push(model);
    return collection;
  }
}
