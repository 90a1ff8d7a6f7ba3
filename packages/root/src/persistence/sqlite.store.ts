import { AsyncLocalStorage } from 'node:async_hooks';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { ensurePrivateDir, ensurePrivateFile } from '@canopy/nest-edge';
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
import { COLLECTIONS, INDEXED, UNIQUE, uniqueClash, type CollectionName } from './collections';
import { TransactionGate } from './transaction-gate';
import type { Collection, Store } from './store.port';

const FIELD = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Documents as JSON in one table per collection, the embedded default store. better-sqlite3 is
 * synchronous; the async contract exists for MongoDB. A transaction holds a gate that every other
 * operation waits on, so writes from concurrent requests never slip into someone else's transaction.
 */
export class SqliteStore implements Store {
  private readonly db: Database.Database;
  private readonly inTx = new AsyncLocalStorage<true>();
  private readonly gated = new TransactionGate();
  readonly users: Collection<UserRecord>;
  readonly organizations: Collection<OrganizationRecord>;
  readonly applications: Collection<ApplicationRecord>;
  readonly services: Collection<ServiceRecord>;
  readonly instances: Collection<InstanceRecord>;
  readonly clusters: Collection<ClusterRecord>;
  readonly components: Collection<ComponentRecord>;
  readonly apiTokens: Collection<ApiTokenRecord>;

  constructor(dataDir: string) {
    ensurePrivateDir(dataDir);
    const file = join(dataDir, 'root.db');
    ensurePrivateFile(file);
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('busy_timeout = 5000');
    for (const name of COLLECTIONS) {
      this.db.exec(
        `CREATE TABLE IF NOT EXISTS ${name} (id TEXT PRIMARY KEY, version INTEGER NOT NULL, data TEXT NOT NULL)`,
      );
      for (const field of INDEXED[name]) {
        this.db.exec(`CREATE INDEX IF NOT EXISTS ${name}_${field} ON ${name} (json_extract(data, '$.${field}'))`);
      }
      const unique = UNIQUE[name];
      if (unique !== undefined) {
        this.db.exec(
          `CREATE UNIQUE INDEX IF NOT EXISTS ${name}_${unique.field}_unique ON ${name} (json_extract(data, '$.${unique.field}'))`,
        );
      }
    }
    this.users = this.collection('users');
    this.organizations = this.collection('organizations');
    this.applications = this.collection('applications');
    this.services = this.collection('services');
    this.instances = this.collection('instances');
    this.clusters = this.collection('clusters');
    this.components = this.collection('components');
    this.apiTokens = this.collection('apiTokens');
  }

  async transaction<R>(fn: () => Promise<R>): Promise<R> {
    if (this.inTx.getStore()) {
      return fn();
    }
    return this.gated.hold(async () => {
      try {
        this.db.exec('BEGIN IMMEDIATE');
        const result = await this.inTx.run(true, fn);
        this.db.exec('COMMIT');
        return result;
      } catch (error) {
        if (this.db.inTransaction) {
          this.db.exec('ROLLBACK');
        }
        throw error;
      }
    });
  }

  async close(): Promise<void> {
    await this.gated.idle();
    this.db.close();
  }

  private async gate(): Promise<void> {
    if (!this.inTx.getStore()) {
      await this.gated.idle();
    }
  }

  private collection<T extends Doc>(name: CollectionName): Collection<T> {
    const db = this.db;
    const getStmt = db.prepare<[string], { data: string }>(`SELECT data FROM ${name} WHERE id = ?`);
    const insertStmt = db.prepare(`INSERT INTO ${name} (id, version, data) VALUES (?, ?, ?)`);
    const updateStmt = db.prepare(`UPDATE ${name} SET version = ?, data = ? WHERE id = ? AND version = ?`);
    const deleteStmt = db.prepare(`DELETE FROM ${name} WHERE id = ?`);
    const allStmt = db.prepare<[], { data: string }>(`SELECT data FROM ${name} ORDER BY rowid`);
    const findStmts = new Map<string, Database.Statement<unknown[], { data: string }>>();
    const parse = (row: { data: string }) => JSON.parse(row.data) as T;

    return {
      get: async (id) => {
        await this.gate();
        const row = getStmt.get(id);
        return row ? parse(row) : undefined;
      },
      find: async (filter = {}) => {
        await this.gate();
        const entries: [string, unknown][] = Object.entries(filter as Record<string, unknown>).filter(
          ([, v]) => v !== undefined,
        );
        if (entries.length === 0) {
          return allStmt.all().map(parse);
        }
        const fields = entries.map(([k]) => k);
        if (!fields.every((f) => FIELD.test(f))) {
          throw new TypeError('invalid filter field');
        }
        const sqlKey = fields.join(',');
        let stmt = findStmts.get(sqlKey);
        if (!stmt) {
          const where = fields.map((f) => `json_extract(data, '$.${f}') = ?`).join(' AND ');
          stmt = db.prepare<unknown[], { data: string }>(`SELECT data FROM ${name} WHERE ${where} ORDER BY rowid`);
          findStmts.set(sqlKey, stmt);
        }
        // json_extract yields 1/0 for JSON booleans.
        const params: unknown[] = entries.map(([, v]) => (typeof v === 'boolean' ? (v ? 1 : 0) : v));
        return stmt.all(...params).map(parse);
      },
      insert: async (doc) => {
        await this.gate();
        const now = new Date().toISOString();
        const full = { ...doc, version: 1, createdAt: now, updatedAt: now } as T;
        try {
          insertStmt.run(full.id, 1, JSON.stringify(full));
        } catch (error) {
          if ((error as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
            throw new ConflictError(`${name} ${full.id} already exists`, [], 'RECORD_EXISTS');
          }
          if ((error as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') {
            throw uniqueClash(name);
          }
          throw error;
        }
        return full;
      },
      update: async (doc) => {
        await this.gate();
        const next = { ...doc, version: doc.version + 1, updatedAt: new Date().toISOString() };
        let result: Database.RunResult;
        try {
          result = updateStmt.run(next.version, JSON.stringify(next), doc.id, doc.version);
        } catch (error) {
          if ((error as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') {
            throw uniqueClash(name);
          }
          throw error;
        }
        if (result.changes === 0) {
          throw new StaleVersionError(name, doc.id);
        }
        return next;
      },
      delete: async (id) => {
        await this.gate();
        return deleteStmt.run(id).changes > 0;
      },
    };
  }
}
