import YAML from 'yaml';

export type Manifest =
  { dialect: 'sla'; body: Record<string, unknown> } | { dialect: 'aeros'; kind: string; name: string; yaml: string };

const AEROS_KINDS = new Set(['ServiceComponentDocker', 'ServiceComponentK8s']);

/**
 * What `canopy apply -f` was given: an Oakestra SLA (JSON, or the same document in YAML) has
 * `sla_version` and `applications`; an aerOS CR has `apiVersion` and a `kind` such as
 * `ServiceComponentDocker`, and goes to the LLO API as YAML, unchanged.
 */
export function detectDialect(text: string): Manifest {
  let doc: unknown;
  try {
    // YAML is a superset of JSON, so one parser reads both.
    doc = YAML.parse(text);
  } catch (error) {
    throw new Error(`the file is neither JSON nor YAML: ${(error as Error).message}`, { cause: error });
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    throw new Error(
      'the file must hold one object: an SLA (sla_version, applications) or an aerOS CR (apiVersion, kind)',
    );
  }
  const d = doc as Record<string, unknown>;
  if (typeof d.kind === 'string' && typeof d.apiVersion === 'string') {
    if (!AEROS_KINDS.has(d.kind)) {
      throw new Error(`kind ${d.kind} is not one Canopy takes: use ${[...AEROS_KINDS].join(' or ')}`);
    }
    const meta = d.metadata as { name?: unknown } | undefined;
    if (typeof meta?.name !== 'string' || meta.name === '') {
      throw new Error('the CR has no metadata.name');
    }
    return { dialect: 'aeros', kind: d.kind, name: meta.name, yaml: text };
  }
  if ('applications' in d || 'sla_version' in d) {
    return { dialect: 'sla', body: d };
  }
  throw new Error(
    'cannot tell what this is: an SLA needs sla_version and applications, an aerOS CR apiVersion and kind',
  );
}
