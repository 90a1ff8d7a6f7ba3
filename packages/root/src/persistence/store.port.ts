import type {
  ApiTokenRecord,
  ApplicationRecord,
  ClusterRecord,
  ComponentRecord,
  Doc,
  InstanceRecord,
  NewDoc,
  OrganizationRecord,
  ServiceRecord,
  UserRecord,
} from './records';

/** Equality filter on top-level scalar fields. */
export type Filter<T> = {
  [K in keyof T]?: (T[K] extends string | number | boolean | undefined ? T[K] : never) | undefined;
};

/**
 * One collection of versioned records. The contract both stores (SQLite, MongoDB) implement and
 * the contract tests check.
 */
export interface Collection<T extends Doc> {
  get(id: string): Promise<T | undefined>;
  find(filter?: Filter<T>): Promise<T[]>;
  /** Version 1 and timestamps are set here; an existing id is a ConflictError. */
  insert(doc: NewDoc<T>): Promise<T>;
  /** Succeeds only if the stored version equals `doc.version` (else StaleVersionError); returns the record with version + 1. */
  update(doc: T): Promise<T>;
  delete(id: string): Promise<boolean>;
}

export interface Store {
  readonly users: Collection<UserRecord>;
  readonly organizations: Collection<OrganizationRecord>;
  readonly applications: Collection<ApplicationRecord>;
  readonly services: Collection<ServiceRecord>;
  readonly instances: Collection<InstanceRecord>;
  readonly clusters: Collection<ClusterRecord>;
  readonly components: Collection<ComponentRecord>;
  readonly apiTokens: Collection<ApiTokenRecord>;
  /** Runs `fn` so that every write in it lands together or not at all. */
  transaction<R>(fn: () => Promise<R>): Promise<R>;
  close(): Promise<void>;
}

export const STORE = Symbol('STORE');
