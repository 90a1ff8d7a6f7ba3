import type { ClientSession } from 'mongoose';
import type { Doc } from './records';
import { UNIQUE, type CollectionName } from './collections';

/**
 * A record as MongoDB holds it: our string id is `_id` (never an ObjectId), `_ord` keeps insertion
 * order for `find` (SQLite's rowid order), every other field is the record's own.
 */
export interface Stored {
  _id: string;
  _ord: string;
  version: number;
  [field: string]: unknown;
}

/** Per-transaction context carried implicitly to every collection call made inside `fn`. */
export interface TxContext {
  /** Set when the server supports multi-document transactions (replica set or mongos). */
  session?: ClientSession;
  /** Fallback on a standalone server: compensations run in reverse order if `fn` throws. */
  undo?: (() => Promise<void>)[];
}

export const DUPLICATE_KEY = 11000;
export const WRITE_CONFLICT = 112;

/** A duplicate key on the collection's unique field (not on `_id`). */
export function isUniqueFieldClash(error: unknown, name: CollectionName): boolean {
  const field = UNIQUE[name]?.field;
  const keyPattern = (error as { keyPattern?: Record<string, unknown> }).keyPattern;
  return field !== undefined && keyPattern !== undefined && field in keyPattern;
}

export function hasCode(error: unknown, code: number): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === code;
}

export function hasLabel(error: unknown, label: string): boolean {
  const fn = (error as { hasErrorLabel?: (l: string) => boolean } | null)?.hasErrorLabel;
  return typeof fn === 'function' && fn.call(error, label);
}

let ordCounter = 0;
/** Sortable, unique within a process, time-ordered across processes. */
export function nextOrd(): string {
  ordCounter = (ordCounter + 1) % 36 ** 8;
  return Date.now().toString(36).padStart(10, '0') + ordCounter.toString(36).padStart(8, '0');
}

/**
 * JSON round trip: the same value semantics as the SQLite store (undefined fields vanish, dates
 * are strings), and no caller-owned object is aliased into a mongoose document.
 */
export function toStored<T extends Doc>(doc: T, ord: string): Stored {
  const { id, ...rest } = JSON.parse(JSON.stringify(doc)) as T;
  return { _id: id, _ord: ord, ...rest };
}

export function fromStored<T extends Doc>(raw: Stored): T {
  // Keys starting with `_` are storage internals (`_id`, `_ord`, and `__v` should one ever appear).
  const record: Record<string, unknown> = { id: String(raw._id) };
  for (const [key, value] of Object.entries(raw)) {
    if (!key.startsWith('_')) {
      record[key] = value;
    }
  }
  return record as T;
}
