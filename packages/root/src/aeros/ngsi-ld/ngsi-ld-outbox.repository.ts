import { chmodSync, closeSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';

export const OUTBOX_FILE = 'ngsi-ld-outbox.sqlite';

/** What a row asks the broker to do. */
export type OutboxKind = 'componentStatus' | 'infrastructureElement';

export interface OutboxRow {
  /** Global enqueue order; AUTOINCREMENT, so a number is never reused, even across restarts. */
  seq: number;
  kind: OutboxKind;
  entityId: string;
  /** The request body as JSON text. */
  body: string;
  /** Failed deliveries so far. */
  attempts: number;
  /** Not to be sent before this time (ms since the epoch): retry backoff and the IE rate limit. */
  nextAt: number;
}

/**
 * The durable queue of NGSI-LD updates, one SQLite file in the root's data directory. Only the
 * head of each entity (its lowest `seq`) is ever offered for delivery, which is what keeps one
 * entity's updates in enqueue order while other entities go on.
 */
export class NgsiLdOutbox {
  private readonly db: Database.Database;
  private readonly insert: Database.Statement<[OutboxKind, string, string, number]>;
  private readonly heads: Database.Statement<[number, number], OutboxRow>;
  private readonly earliest: Database.Statement<[], { nextAt: number | null }>;
  private readonly bySeq: Database.Statement<[number], OutboxRow>;
  private readonly ofEntity: Database.Statement<[string], OutboxRow>;
  private readonly setBody: Database.Statement<[string, number]>;
  private readonly setRetry: Database.Statement<[number, number, number]>;
  private readonly deleteSeq: Database.Statement<[number]>;
  private readonly total: Database.Statement<[], { n: number }>;

  constructor(dataDir: string) {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    const file = join(dataDir, OUTBOX_FILE);
    // Create the file 0600 before SQLite opens it; SQLite gives its -wal and -shm files the same mode.
    closeSync(openSync(file, 'a', 0o600));
    chmodSync(file, 0o600);
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    // FULL: an update acknowledged by componentStatus() survives a power cut, not only a crash.
    this.db.pragma('synchronous = FULL');
    this.db.exec(`CREATE TABLE IF NOT EXISTS outbox (
      seq INTEGER PRIMARY KEY AUTOINCREMENT,
      kind TEXT NOT NULL,
      entityId TEXT NOT NULL,
      body TEXT NOT NULL,
      attempts INTEGER NOT NULL DEFAULT 0,
      nextAt INTEGER NOT NULL
    )`);
    this.db.exec('CREATE INDEX IF NOT EXISTS outbox_entity_seq ON outbox (entityId, seq)');
    this.insert = this.db.prepare('INSERT INTO outbox (kind, entityId, body, nextAt) VALUES (?, ?, ?, ?)');
    this.heads = this.db.prepare(
      `SELECT o.seq, o.kind, o.entityId, o.body, o.attempts, o.nextAt
       FROM outbox o JOIN (SELECT MIN(seq) AS seq FROM outbox GROUP BY entityId) h ON o.seq = h.seq
       WHERE o.nextAt <= ? ORDER BY o.nextAt, o.seq LIMIT ?`,
    );
    this.earliest = this.db.prepare(
      `SELECT MIN(o.nextAt) AS nextAt
       FROM outbox o JOIN (SELECT MIN(seq) AS seq FROM outbox GROUP BY entityId) h ON o.seq = h.seq`,
    );
    this.bySeq = this.db.prepare('SELECT * FROM outbox WHERE seq = ?');
    this.ofEntity = this.db.prepare('SELECT * FROM outbox WHERE entityId = ? ORDER BY seq');
    this.setBody = this.db.prepare('UPDATE outbox SET body = ? WHERE seq = ?');
    this.setRetry = this.db.prepare('UPDATE outbox SET attempts = ?, nextAt = ? WHERE seq = ?');
    this.deleteSeq = this.db.prepare('DELETE FROM outbox WHERE seq = ?');
    this.total = this.db.prepare('SELECT COUNT(*) AS n FROM outbox');
  }

  enqueue(kind: OutboxKind, entityId: string, body: string, nextAt: number): number {
    return Number(this.insert.run(kind, entityId, body, nextAt).lastInsertRowid);
  }

  /** Heads of entities that are due at `now`, oldest due first. */
  due(now: number, limit: number): OutboxRow[] {
    return this.heads.all(now, limit);
  }

  /** When the next head becomes due; undefined when the outbox is empty. */
  nextDueAt(): number | undefined {
    return this.earliest.get()?.nextAt ?? undefined;
  }

  get(seq: number): OutboxRow | undefined {
    return this.bySeq.get(seq);
  }

  /** The unsent rows of one entity, oldest first. */
  rowsOf(entityId: string): OutboxRow[] {
    return this.ofEntity.all(entityId);
  }

  /** Replaces the body of a row that has not been sent yet (IE snapshots supersede each other). */
  replaceBody(seq: number, body: string): void {
    this.setBody.run(body, seq);
  }

  retryLater(seq: number, attempts: number, nextAt: number): void {
    this.setRetry.run(attempts, nextAt, seq);
  }

  remove(seq: number): void {
    this.deleteSeq.run(seq);
  }

  count(): number {
    return this.total.get()?.n ?? 0;
  }

  close(): void {
    this.db.close();
  }
}
