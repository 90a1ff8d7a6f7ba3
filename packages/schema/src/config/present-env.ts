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
