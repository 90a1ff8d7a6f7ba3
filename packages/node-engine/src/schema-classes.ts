import type * as Schema from '@canopy/schema';

let loaded: typeof Schema | undefined;

/**
 * The schema's DTO classes and `validateInput`, and with them class-validator, validator and
 * class-transformer (~8 MB of resident memory): loaded when the node first checks an input (a
 * command from the cluster, a desired-state file with entries), not at start-up (issue 14 §5).
 * Everything else the engine takes from the schema comes from `@canopy/schema/lite`, which
 * loads none of them. The checks themselves are unchanged: the same classes, the same messages.
 */
export function schemaClasses(): typeof Schema {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a deferred load (issue 14)
  loaded ??= require('@canopy/schema') as typeof Schema;
  return loaded;
}
