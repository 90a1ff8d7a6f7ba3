import { Schema, type Connection, type Model } from 'mongoose';
import { ConflictError, StaleVersionError } from '@canopy/schema';
import type { Doc } from './records';
import { INDEXED, UNIQUE, uniqueClash, type CollectionName } from './collections';
import {
  DUPLICATE_KEY,
  WRITE_CONFLICT,
  fromStored,
  hasCode,
  isUniqueFieldClash,
  nextOrd,
  toStored,
  type Stored,
  type TxContext,
} from './mongo-documents';
import type { Collection, Filter } from './store.port';

/**
 * One collection of the MongoDB store: its mongoose model (indexes as in the SQLite store) and the
 * `Collection` contract over it. `context()` gives the transaction a call runs in (its session or
 * undo log), waiting first for a fallback transaction when the call is outside one.
 */
export function mongoCollection<T extends Doc>(
  conn: Connection,
  name: CollectionName,
  context: () => Promise<TxContext | undefined>,
): { model: Model<Stored>; collection: Collection<T> } {
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
    if (field !== unique?.field) {
      schema.index({ [field]: 1 });
    }
  }
  if (unique !== undefined) {
    schema.index({ [unique.field]: 1 }, { unique: true });
  }
  const model = conn.model<Stored>(name, schema, name);
  const session = (ctx: TxContext | undefined) => (ctx?.session ? { session: ctx.session } : {});

  const getRaw = async (id: string, ctx: TxContext | undefined): Promise<Stored | null> =>
    model
      .findOne({ _id: { $eq: id } }, null, session(ctx))
      .lean<Stored>()
      .exec();

  const collection: Collection<T> = {
    get: async (id) => {
      const ctx = await context();
      const raw = await getRaw(id, ctx);
      return raw ? fromStored<T>(raw) : undefined;
    },
    find: async (filter: Filter<T> = {}) => {
      const ctx = await context();
      // `$eq` on every value: a filter value can never be read as an operator.
      const query: Record<string, { $eq: unknown }> = {};
      for (const [field, value] of Object.entries(filter as Record<string, unknown>)) {
        if (value === undefined) {
          continue;
        }
        query[field === 'id' ? '_id' : field] = { $eq: value };
      }
      const rows = await model.find(query, null, session(ctx)).sort({ _ord: 1 }).lean<Stored[]>().exec();
      return rows.map((raw) => fromStored<T>(raw));
    },
    insert: async (doc) => {
      const ctx = await context();
      const now = new Date().toISOString();
      const full = { ...doc, version: 1, createdAt: now, updatedAt: now } as T;
      try {
        await model.create([toStored(full, nextOrd())], session(ctx));
      } catch (error) {
        if (hasCode(error, DUPLICATE_KEY)) {
          if (isUniqueFieldClash(error, name)) {
            throw uniqueClash(name);
          }
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
      const ctx = await context();
      const next = { ...doc, version: doc.version + 1, updatedAt: new Date().toISOString() } as T;
      try {
        // Read first to keep `_ord`; the replace below only matches if nobody wrote in between.
        const before = await getRaw(doc.id, ctx);
        if (!before || before.version !== doc.version) {
          throw new StaleVersionError(name, doc.id);
        }
        const result = await model
          .replaceOne(
            { _id: { $eq: doc.id }, version: { $eq: doc.version } },
            toStored(next, before._ord),
            session(ctx),
          )
          .exec();
        if (result.matchedCount === 0) {
          throw new StaleVersionError(name, doc.id);
        }
        ctx?.undo?.push(async () => {
          await model.replaceOne({ _id: { $eq: doc.id }, version: { $eq: next.version } }, before).exec();
        });
      } catch (error) {
        // Inside a real transaction a concurrent writer surfaces as a write conflict: same meaning.
        if (hasCode(error, WRITE_CONFLICT)) {
          throw new StaleVersionError(name, doc.id);
        }
        if (hasCode(error, DUPLICATE_KEY) && isUniqueFieldClash(error, name)) {
          throw uniqueClash(name);
        }
        throw error;
      }
      return fromStored<T>(toStored(next, ''));
    },
    delete: async (id) => {
      const ctx = await context();
      try {
        const before = await model
          .findOneAndDelete({ _id: { $eq: id } }, session(ctx))
          .lean<Stored>()
          .exec();
        if (!before) {
          return false;
        }
        ctx?.undo?.push(async () => {
          await model.create([before]);
        });
        return true;
      } catch (error) {
        if (hasCode(error, WRITE_CONFLICT)) {
          throw new StaleVersionError(name, id);
        }
        throw error;
      }
    },
  };
  return { model, collection };
}
