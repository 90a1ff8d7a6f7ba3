/**
 * The environment as the one config loader reads it (settings.ts, for root, cluster and node
 * engine): empty values count as unset, since compose and unit files carry `VAR=`.
 */
export { presentEnv } from './present-env';
