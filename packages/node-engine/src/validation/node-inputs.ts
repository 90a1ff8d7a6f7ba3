import { acceptOnlyCheck, type AcceptOnlyCheck } from '@canopy/schema/lite';
import type * as Schema from '@canopy/schema';
import { schemaClasses } from '../schema-classes';
import type { NodeInputClass } from './node-input-classes';
import { NODE_INPUTS } from './node-inputs.generated';

type InputOf<K extends NodeInputClass> = InstanceType<(typeof Schema)[K]>;

const checks = new Map<NodeInputClass, AcceptOnlyCheck>();

/**
 * Validates one of the node's inputs as `validateInput(<class>, input)` does, without loading
 * class-validator for input that is certainly valid (issue 14 §5): an accept-only check built from
 * descriptions generated from the same classes (node-inputs.generated.ts) answers first; anything it
 * does not accept (invalid input, unknown keys, fields it does not model such as `constraints` and
 * `nodeLabels`) goes to the real `validateInput`, so every rejection and its message are unchanged.
 * Accepted values are plain objects with the fields `validateInput` would keep.
 */
export function validateNodeInput<K extends NodeInputClass>(
  name: K,
  input: unknown,
): Schema.ValidationResult<InputOf<K>> {
  let check = checks.get(name);
  if (check === undefined) {
    check = acceptOnlyCheck(NODE_INPUTS, name);
    checks.set(name, check);
  }
  const value = check(input);
  if (value !== undefined) {
    return { ok: true, value: value as InputOf<K> };
  }
  const schema = schemaClasses();
  return schema.validateInput(schema[name] as new () => InputOf<K>, input);
}
