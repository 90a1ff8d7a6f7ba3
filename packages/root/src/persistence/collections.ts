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
