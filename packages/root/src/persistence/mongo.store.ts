import { AsyncLocalStorage } from 'node:async_hooks';
import mongoose, { Schema, type ClientSession, type Connection, type Model } from 'mongoose';
import { ConflictError, StaleVersionError } from '@canopy/schema';
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
import { INDEXED, UNIQUE, uniqueClash, type CollectionName } from './collections';
import type { Collection, Filter, Store } from './store.port';

/**
 * A record as MongoDB holds it: our string id is `_id` (never an ObjectId), `_ord` keeps insertion
 * order for `find` (SQLite's rowid order), every other field is the record's own.
 */
interface Stored {
  _id: string;
  _ord: string;
  version: number;
  [field: string]: unknown;
}

/** Per-transaction context carried implicitly to every collection call made inside `fn`. */
interface TxContext {
  /** Set when the server supports multi-document transactions (replica set or mongos). */
  session?: ClientSession;
  /** Fallback on a standalone server: compensations run in reverse order if `fn` throws. */
  undo?: (() => Promise<void>)[];
}

export interface MongoStoreOptions {
  /** Database name; overrides the one in the URI (the contract tests use one database per run). */
  dbName?: string;
  /** Default 10 s: how long to look for a server before failing the start. */
  serverSelectionTimeoutMS?: number;
}

const DUPLICATE_KEY = 11000;
const WRITE_CONFLICT = 112;

/** A duplicate key on the collection's unique field (not on `_id`). */
function isUniqueFieldClash(error: unknown, name: CollectionName): boolean {
  const field = UNIQUE[name]?.field;
  const keyPattern = (error as { keyPattern?: Record<string, unknown> }).keyPattern;
  return field !== undefined && keyPattern !== undefined && field in keyPattern;
}

function hasCode(error: unknown, code: number): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === code;
}

function hasLabel(error: unknown, label: string): boolean {
  const fn = (error as { hasErrorLabel?: (l: string) => boolean } | null)?.hasErrorLabel;
  return typeof fn === 'function' && fn.call(error, label);
}

let ordCounter = 0;
/** Sortable, unique within a process, time-ordered across processes. */
function nextOrd(): string {
  ordCounter = (ordCounter + 1) % 36 ** 8;
  return Date.now().toString(36).padStart(10, '0') + ordCounter.toString(36).padStart(8, '0');
}

/**
 * JSON round trip: the same value semantics as the SQLite store (undefined fields vanish, dates
 * are strings), and no caller-owned object is aliased into a mongoose document.
 */
function toStored<T extends Doc>(doc: T, ord: string): Stored {
  const { id, ...rest } = JSON.parse(JSON.stringify(doc)) as T;
  return { _id: id, _ord: ord, ...rest };
}

function fromStored<T extends Doc>(raw: Stored): T {
  // Keys starting with `_` are storage internals (`_id`, `_ord`, and `__v` should one ever appear).
  const record: Record<string, unknown> = { id: String(raw._id) };
  for (const [key, value] of Object.entries(raw)) if (!key.startsWith('_')) record[key] = value;
  return record as T;
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
  private active: Promise<void> | undefined;
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
      if (!db) throw new Error('MongoDB connection has no database');
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
    if (this.tx.getStore()) return fn();
    // Re-check after every wake-up: another waiter may have taken the gate first.
    while (this.active) await this.active;
    let release!: () => void;
    this.active = new Promise<void>((resolve) => (release = resolve));
    try {
      return this.transactional ? await this.withSession(fn) : await this.withUndoLog(fn);
    } finally {
      this.active = undefined;
      release();
    }
  }

  async close(): Promise<void> {
    while (this.active) await this.active;
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
        if (!hasLabel(error, 'UnknownTransactionCommitResult')) throw error;
        await session.commitTransaction();
      }
      return result;
    } catch (error) {
      if (session.inTransaction()) await session.abortTransaction();
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
    if (ctx) return ctx;
    if (!this.transactional) while (this.active) await this.active;
    return undefined;
  }

  private collection<T extends Doc>(name: CollectionName): Collection<T> {
    const schema = new Schema<Stored>(
      { _id: { type: String, required: true }, _ord: { type: String, required: true }, version: Number },
      {
        // Records are validated at the API edge; the schema only pins `_id` to a string and names the indexes.
        strict: false,
        strictQuery: false,
        versionKey: false,
        minimize: false,
        id: false,
        timestamps: false,
        autoIndex: false,
        autoCreate: false,
      },
    );
    schema.index({ _ord: 1 });
    const unique = UNIQUE[name];
    for (const field of INDEXED[name]) {
      if (field !== unique?.field) schema.index({ [field]: 1 });
    }
    if (unique !== undefined) schema.index({ [unique.field]: 1 }, { unique: true });
    const model = this.conn.model<Stored>(name, schema, name);
    this.models.push(model);
    const session = (ctx: TxContext | undefined) => (ctx?.session ? { session: ctx.session } : {});

    const getRaw = async (id: string, ctx: TxContext | undefined): Promise<Stored | null> =>
      model
        .findOne({ _id: { $eq: id } }, null, session(ctx))
        .lean<Stored>()
        .exec();

    return {
      get: async (id) => {
        const ctx = await this.context();
        const raw = await getRaw(id, ctx);
        return raw ? fromStored<T>(raw) : undefined;
      },
      find: async (filter: Filter<T> = {}) => {
        const ctx = await this.context();
        // `$eq` on every value: a filter value can never be read as an operator.
        const query: Record<string, { $eq: unknown }> = {};
        for (const [field, value] of Object.entries(filter as Record<string, unknown>)) {
          if (value === undefined) continue;
          query[field === 'id' ? '_id' : field] = { $eq: value };
        }
        const rows = await model.find(query, null, session(ctx)).sort({ _ord: 1 }).lean<Stored[]>().exec();
        return rows.map((raw) => fromStored<T>(raw));
      },
      insert: async (doc) => {
        const ctx = await this.context();
        const now = new Date().toISOString();
        const full = { ...doc, version: 1, createdAt: now, updatedAt: now } as T;
        try {
          await model.create([toStored(full, nextOrd())], session(ctx));
        } catch (error) {
          if (hasCode(error, DUPLICATE_KEY)) {
            if (isUniqueFieldClash(error, name)) throw uniqueClash(name);
            throw new ConflictError(`${name} ${full.id} already exists`, [], 'RECORD_EXISTS');
          }
          throw error;
        }
        ctx?.undo?.push(async () => {
          await model.deleteOne({ _id: { $eq: full.id }, version: { $eq: 1 } }).exec();
        });
        return fromStored<T>(toStored(full, ''));
      },
      update: async (doc) => {
        const ctx = await this.context();
        const next = { ...doc, version: doc.version + 1, updatedAt: new Date().toISOString() } as T;
        try {
          // Read first to keep `_ord`; the replace below only matches if nobody wrote in between.
          const before = await getRaw(doc.id, ctx);
          if (!before || before.version !== doc.version) throw new StaleVersionError(name, doc.id);
          const result = await model
            .replaceOne(
              { _id: { $eq: doc.id }, version: { $eq: doc.version } },
              toStored(next, before._ord),
              session(ctx),
            )
            .exec();
          if (result.matchedCount === 0) throw new StaleVersionError(name, doc.id);
          ctx?.undo?.push(async () => {
            await model.replaceOne({ _id: { $eq: doc.id }, version: { $eq: next.version } }, before).exec();
          });
        } catch (error) {
          // Inside a real transaction a concurrent writer surfaces as a write conflict: same meaning.
          if (hasCode(error, WRITE_CONFLICT)) throw new StaleVersionError(name, doc.id);
          if (hasCode(error, DUPLICATE_KEY) && isUniqueFieldClash(error, name)) throw uniqueClash(name);
          throw error;
        }
        return fromStored<T>(toStored(next, ''));
      },
      delete: async (id) => {
        const ctx = await this.context();
        try {
          const before = await model
            .findOneAndDelete({ _id: { $eq: id } }, session(ctx))
            .lean<Stored>()
            .exec();
          if (!before) return false;
          ctx?.undo?.push(async () => {
            await model.create([before]);
          });
          return true;
        } catch (error) {
          if (hasCode(error, WRITE_CONFLICT)) throw new StaleVersionError(name, id);
          throw error;
        }
      },
    };
  }
}
