import type * as Yaml from 'yaml';
import type { FieldError } from './validate';

export type YamlResult = { ok: true; value: unknown } | { ok: false; errors: FieldError[] };

/**
 * Anchors and aliases are legal YAML, but a few aliases of aliases expand to gigabytes (the
 * "billion laughs" bomb). Real CRs use none; a handful is plenty.
 */
const MAX_ALIASES = 20;

/**
 * Parses a body that must hold exactly one YAML document (a CR, a spec). Several documents, syntax
 * errors, alias bombs and an empty body are refused with a message naming the problem at `$`,
 * never thrown. JSON is YAML, so a JSON text parses too.
 */
export function parseYamlDocument(text: string): YamlResult {
  const fail = (message: string): YamlResult => ({ ok: false, errors: [{ path: '$', message }] });
  // Loaded on first use, not with the schema: the node engine imports the schema but parses no
  // YAML body, and the parser is ~70 modules (issue 14, node footprint).
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a deferred load
  const { parseAllDocuments } = require('yaml') as typeof Yaml;
  let docs: ReturnType<typeof Yaml.parseAllDocuments>;
  try {
    docs = parseAllDocuments(text, { uniqueKeys: true, prettyErrors: true, strict: true });
  } catch {
    return fail('the body is not valid YAML');
  }
  const list = Array.isArray(docs) ? docs : [];
  if (list.length === 0) {
    return fail('the body holds no YAML document');
  }
  if (list.length > 1) {
    return fail(`the body holds ${list.length} YAML documents; send one per request`);
  }
  const [doc] = list;
  if (doc === undefined) {
    return fail('the body holds no YAML document');
  }
  const firstError = doc.errors[0];
  if (firstError !== undefined) {
    return fail(`the body is not valid YAML: ${firstError.message.split('\n')[0] ?? ''}`);
  }
  try {
    return { ok: true, value: doc.toJS({ maxAliasCount: MAX_ALIASES }) as unknown };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return fail(`the body cannot be read as YAML: ${message.split('\n')[0] ?? ''}`);
  }
}
