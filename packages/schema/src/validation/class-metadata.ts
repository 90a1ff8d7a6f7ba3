import { getMetadataStorage } from 'class-validator';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any class, as class-validator's storage takes it
export type Ctor = new (...args: any[]) => unknown;

/** The part of class-validator's per-decorator metadata that the compiled check and the node's descriptions read. */
export interface ValidationMeta {
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
export function decoratorsByProperty(cls: Ctor): Map<string, ValidationMeta[]> {
  const metas = getMetadataStorage().getTargetValidationMetadatas(cls, '', true, false) as unknown as ValidationMeta[];
  const byProperty = new Map<string, ValidationMeta[]>();
  for (const m of metas) {
    byProperty.set(m.propertyName, [...(byProperty.get(m.propertyName) ?? []), m]);
  }
  return byProperty;
}
