import 'reflect-metadata';
import { getMetadataStorage } from 'class-validator';
import type { ClassConstructor } from 'class-transformer';
import { defaultMetadataStorage } from 'class-transformer/cjs/storage';
import type { FieldDescriptor, InputDescriptors, ValueRule } from './descriptor';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any class, as class-validator's storage takes it
type Ctor = new (...args: any[]) => unknown;

/** The part of class-validator's per-decorator metadata that a description reads. */
interface Meta {
  type: string;
  name?: string;
  propertyName: string;
  constraints?: unknown[];
  each?: boolean;
  groups?: string[];
  always?: boolean;
  validationOptions?: { message?: unknown };
}

/** A class's validation decorators (inherited ones included), grouped by property in declaration order. */
function decoratorsByProperty(cls: Ctor): Map<string, Meta[]> {
  const metas = getMetadataStorage().getTargetValidationMetadatas(cls, '', true, false) as unknown as Meta[];
  const byProperty = new Map<string, Meta[]>();
  for (const m of metas) {
    byProperty.set(m.propertyName, [...(byProperty.get(m.propertyName) ?? []), m]);
  }
  return byProperty;
}

/**
 * Reads the class-validator and class-transformer metadata of `roots` (and of the classes they
 * nest) into plain data for {@link acceptOnlyCheck} (`descriptor.ts`). Fields with decorators outside
 * the modelled subset are marked `unmodelled`: the check then leaves any present value to the full
 * `validateInput`. The node engine's descriptions are generated with this
 * (`node scripts/generate-node-inputs.js`) and a unit test holds the committed file to it.
 */
export function describeClasses(roots: Record<string, ClassConstructor<object>>): InputDescriptors {
  const out: Record<string, FieldDescriptor[]> = {};
  const names = new Map<Ctor, string>(Object.entries(roots).map(([k, v]) => [v as Ctor, k]));
  const pending: Ctor[] = [...names.keys()];
  for (let cls = pending.shift(); cls !== undefined; cls = pending.shift()) {
    const key = names.get(cls) ?? cls.name;
    if (out[key] !== undefined) {
      continue;
    }
    out[key] = describeClass(cls, (nested) => {
      if (!names.has(nested)) {
        names.set(nested, nested.name);
      }
      pending.push(nested);
      return names.get(nested) ?? nested.name;
    });
  }
  return out;
}

function describeClass(cls: Ctor, nameOf: (nested: Ctor) => string): FieldDescriptor[] {
  const byProperty = decoratorsByProperty(cls);
  const fields: FieldDescriptor[] = [];
  for (const [name, list] of byProperty) {
    fields.push(describeField(cls, name, list, nameOf));
  }
  return fields;
}

function describeField(cls: Ctor, name: string, metas: Meta[], nameOf: (nested: Ctor) => string): FieldDescriptor {
  const field: FieldDescriptor & { rules: ValueRule[] } = { name, optional: false, rules: [] };
  for (const m of metas) {
    if ((m.groups?.length ?? 0) > 0 || m.always === true) {
      field.unmodelled = true;
    } else if (m.type === 'conditionalValidation' && m.name === 'isOptional') {
      field.optional = true;
    } else if (m.type === 'nestedValidation') {
      const typed = defaultMetadataStorage.findTypeMetadata(cls, name);
      if (typed === undefined) {
        field.unmodelled = true;
      } else {
        field.nested = { class: nameOf(typed.typeFunction() as Ctor), each: m.each === true };
      }
    } else {
      const rule = m.type === 'customValidation' ? ruleOf(m) : undefined;
      if (rule === undefined) {
        field.unmodelled = true;
      } else {
        field.rules.push(m.each === true ? { ...rule, each: true } : rule);
      }
    }
  }
  if (field.unmodelled === true) {
    // Nothing else is needed: any present value takes the full path.
    return { name, optional: field.optional, rules: [], unmodelled: true };
  }
  return field;
}

/** The modelled decorators; anything else (custom validators included) is left unmodelled. */
function ruleOf(m: Meta): ValueRule | undefined {
  const c = m.constraints ?? [];
  const name = m.name ?? '';
  switch (name) {
    case 'isInt':
    case 'isString':
    case 'isNotEmpty':
    case 'isBoolean':
    case 'isArray':
      return { rule: name };
    case 'isObject':
      return c[0] === undefined ? { rule: name } : undefined;
    case 'isNumber':
      return Object.keys(c[0] ?? {}).length === 0 ? { rule: name } : undefined;
    case 'min':
    case 'max':
    case 'maxLength':
      return typeof c[0] === 'number' && c[1] === undefined ? { rule: name, limit: c[0] } : undefined;
    case 'isIn': {
      const allowed = c[0];
      const plain = (v: unknown): v is string | number | boolean => ['string', 'number', 'boolean'].includes(typeof v);
      return Array.isArray(allowed) && allowed.every(plain) ? { rule: name, allowed: [...allowed] } : undefined;
    }
    case 'matches': {
      const [pattern, modifiers] = c;
      if (!(pattern instanceof RegExp) || modifiers !== undefined || pattern.sticky) {
        return undefined;
      }
      return { rule: name, source: pattern.source, flags: pattern.flags };
    }
    default:
      return undefined;
  }
}
