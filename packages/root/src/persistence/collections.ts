import { ConflictError, type ConflictCode } from '@canopy/schema';

/** The collections both stores hold, and the fields each store indexes. */
export const COLLECTIONS = [
  'users',
  'organizations',
  'applications',
  'services',
  'instances',
  'clusters',
  'components',
  'apiTokens',
] as const;
export type CollectionName = (typeof COLLECTIONS)[number];

/**
 * Fields no two records of a collection may share, enforced by the store (a unique index), so two
 * concurrent creates cannot both pass a service's "is the name free?" check. Each names the code
 * the clash is reported with.
 */
export const UNIQUE: Partial<Record<CollectionName, { field: string; code: ConflictCode }>> = {
  users: { field: 'username', code: 'USER_NAME_TAKEN' },
  organizations: { field: 'name', code: 'ORGANIZATION_NAME_TAKEN' },
};

/** The conflict a unique-index clash on `name` is reported as. */
export function uniqueClash(name: CollectionName): ConflictError {
  const unique = UNIQUE[name];
  if (unique === undefined) return new ConflictError(`${name} record already exists`, [], 'RECORD_EXISTS');
  return new ConflictError(`${unique.field} is taken`, [{ path: unique.field, message: 'is taken' }], unique.code);
}

/** Fields queried often enough to deserve an index (SQLite: an expression index; MongoDB: a field index). */
export const INDEXED: Record<CollectionName, string[]> = {
  users: ['username'],
  organizations: ['name'],
  applications: ['ownerId', 'application_name'],
  services: ['applicationId', 'ownerId'],
  instances: ['serviceId', 'clusterId'],
  clusters: ['name'],
  components: ['serviceId', 'name'],
  apiTokens: ['userId'],
};
