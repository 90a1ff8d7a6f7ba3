import { IE_ID_PREFIX, IE_SHORT_ID_PREFIX } from './infrastructure-element';

/** What resolution needs of an IE; the root's views (with cluster fields) satisfy it. */
export interface ResolvableIE {
  id: string;
  hostname: string;
}

/** `selectedIE` in either of aerOS's spellings: an id or hostname string, or `{id, hostname}`. */
export type SelectedIERef = string | { id?: string | undefined; hostname?: string | undefined };

/**
 * Found, or why not: `reason` lets an HTTP edge answer 404 (`not-found`), 409 (`ambiguous`) or
 * 400 (`empty`) without parsing `message`, which is meant for people.
 */
export type IEResolution<T> =
  { ok: true; ie: T } | { ok: false; message: string; reason: 'not-found' | 'ambiguous' | 'empty' };

/**
 * The ids an IE reference may stand for: itself, and its twin in the other spelling of aerOS's
 * prefix (`urn:ngsi-ld:IE:X` ≡ `urn:ngsi-ld:InfrastructureElement:X`), which aerOS's HLO rewrites
 * one into the other.
 */
export function ieIdSpellings(id: string): string[] {
  if (id.startsWith(IE_SHORT_ID_PREFIX)) {
    return [id, IE_ID_PREFIX + id.slice(IE_SHORT_ID_PREFIX.length)];
  }
  if (id.startsWith(IE_ID_PREFIX)) {
    return [id, IE_SHORT_ID_PREFIX + id.slice(IE_ID_PREFIX.length)];
  }
  return [id];
}

/** One lookup's outcome: found, several (ambiguous: stop, do not try the next rule), or none. */
type Lookup<T> = { kind: 'one'; ie: T } | { kind: 'many'; message: string } | { kind: 'none'; message: string };

function lookup<T>(tiers: readonly (readonly T[])[], what: string): Lookup<T> {
  for (const matches of tiers) {
    const [first] = matches;
    if (first === undefined) {
      continue;
    }
    if (matches.length === 1) {
      return { kind: 'one', ie: first };
    }
    return { kind: 'many', message: `${matches.length} infrastructure elements have ${what}; name one by its id` };
  }
  return { kind: 'none', message: `no infrastructure element has ${what}` };
}

/**
 * An exact id wins over its twin in the other spelling, so two IEs that differ only in the
 * prefix (ids are configurable) each still resolve to themselves.
 */
function lookupById<T extends ResolvableIE>(ies: readonly T[], id: string): Lookup<T> {
  const twins = new Set(ieIdSpellings(id));
  return lookup([ies.filter((ie) => ie.id === id), ies.filter((ie) => twins.has(ie.id))], `id ${id}`);
}

/** Exact first; then ignoring case, since host names are case-insensitive and people type them. */
function lookupByHostname<T extends ResolvableIE>(ies: readonly T[], hostname: string): Lookup<T> {
  const lower = hostname.toLowerCase();
  return lookup(
    [ies.filter((ie) => ie.hostname === hostname), ies.filter((ie) => ie.hostname.toLowerCase() === lower)],
    `hostname ${hostname}`,
  );
}

function toResolution<T>(result: Lookup<T>): IEResolution<T> {
  switch (result.kind) {
    case 'one':
      return { ok: true, ie: result.ie };
    case 'many':
      return { ok: false, message: result.message, reason: 'ambiguous' };
    case 'none':
      return { ok: false, message: result.message, reason: 'not-found' };
  }
}

/** The IE with this id, exactly or under the other spelling of aerOS's prefix (never by hostname). */
export function findInfrastructureElementById<T extends ResolvableIE>(ies: readonly T[], id: string): IEResolution<T> {
  return toResolution(lookupById(ies, id));
}

/**
 * Resolves a CR's `selectedIE` (SPEC §5) against the known IEs.
 *
 * - A string is an id (exact, or the `IE`/`InfrastructureElement` twin spelling), else a hostname
 *   (a Canopy node name; exact, else ignoring case).
 * - `{id, hostname}` tries the id, then the hostname; an empty field counts as absent.
 * - A reference that matches several IEs (the same node name in two clusters) is refused with a
 *   message saying so, rather than picking one at random.
 */
export function resolveSelectedIE<T extends ResolvableIE>(ies: readonly T[], ref: SelectedIERef): IEResolution<T> {
  const id = (typeof ref === 'string' ? ref : (ref.id ?? '')).trim();
  const hostname = (typeof ref === 'string' ? ref : (ref.hostname ?? '')).trim();
  if (id === '' && hostname === '') {
    return {
      ok: false,
      message: typeof ref === 'string' ? 'selectedIE is empty' : 'selectedIE names neither an id nor a hostname',
      reason: 'empty',
    };
  }
  const misses: string[] = [];
  if (id !== '') {
    const byId = lookupById(ies, id);
    if (byId.kind !== 'none') {
      return toResolution(byId);
    }
    misses.push(`id ${id}`);
  }
  if (hostname !== '') {
    const byHost = lookupByHostname(ies, hostname);
    if (byHost.kind !== 'none') {
      return toResolution(byHost);
    }
    misses.push(`hostname ${hostname}`);
  }
  const named = typeof ref === 'string' ? `id or hostname ${id}` : misses.join(' or ');
  return { ok: false, message: `no infrastructure element has ${named}`, reason: 'not-found' };
}
