/**
 * The environment as the one config loader reads it (settings.ts, for root, cluster and node
 * engine): empty values count as unset, since compose and unit files carry `VAR=`.
 */

/** The variables that are set (non-empty); with `known`, only those. */
export function presentEnv(env: NodeJS.ProcessEnv, known?: ReadonlySet<string>): Record<string, string> {
  const present: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) {
    if (value !== undefined && value !== '' && (known === undefined || known.has(key))) {
      present[key] = value;
    }
  }
  return present;
}
