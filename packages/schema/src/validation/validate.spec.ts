import { IsArray, IsInt, IsString, Min, ValidateNested } from 'class-validator';
import { Type } from 'class-transformer';
import { SlaDescriptor, SlaMicroservice } from '../sla/sla.dto';
import { validateInput, type FieldError } from './validate';

class Leaf {
  @IsInt() @Min(1) n!: number;
}

class Tree {
  @IsString() name!: string;
  @IsArray() @ValidateNested({ each: true }) @Type(() => Leaf) leaves!: Leaf[];
}

function errorsOf<T extends object>(cls: new () => T, input: unknown): FieldError[] {
  const result = validateInput(cls, input);
  if (result.ok) {
    throw new Error(`accepted: ${JSON.stringify(result.value)}`);
  }
  return result.errors;
}

const microservice = {
  microservice_name: 'nginx',
  microservice_namespace: 'test',
  virtualization: 'container',
  code: 'docker.io/library/nginx:latest',
};

describe('validateInput', () => {
  it.each([null, undefined, 42, 'text', true, [], [{}]])('rejects the non-object body %p at path $', (input) => {
    expect(errorsOf(Tree, input)).toEqual([{ path: '$', message: 'must be a JSON object' }]);
  });

  it('returns an instance of the class on success', () => {
    const result = validateInput(Tree, { name: 't', leaves: [{ n: 1 }] });
    expect(result.ok && result.value).toBeInstanceOf(Tree);
    expect(result.ok && result.value.leaves[0]).toBeInstanceOf(Leaf);
  });

  it('writes array indices in brackets and nested fields with dots', () => {
    expect(errorsOf(Tree, { name: 't', leaves: [{ n: 1 }, { n: 0 }] })).toEqual([
      { path: 'leaves[1].n', message: 'n must not be less than 1' },
    ]);
  });

  it('reports every bad field, not only the first', () => {
    const paths = errorsOf(Tree, { name: 7, leaves: [{ n: 'x' }, { n: 2 }, { n: -1 }] }).map((e) => e.path);
    expect(paths).toEqual(['name', 'leaves[0].n', 'leaves[2].n']);
  });

  it('reports a wrong type once, with the type message, not the rules that follow from it', () => {
    expect(errorsOf(Tree, { name: 't', leaves: [{ n: '100' }] })).toEqual([
      { path: 'leaves[0].n', message: 'n must be an integer number' },
    ]);
    const missingCode = errorsOf(SlaMicroservice, { ...microservice, code: undefined });
    expect(missingCode).toEqual([{ path: 'code', message: 'code must be a string' }]);
  });

  it('does not descend into an object given where an array belongs', () => {
    expect(errorsOf(Tree, { name: 't', leaves: { n: 0 } })).toEqual([
      { path: 'leaves', message: 'leaves must be an array' },
    ]);
  });

  it('reports an array element that is not an object at its index', () => {
    expect(errorsOf(Tree, { name: 't', leaves: [{ n: 1 }, 5] }).map((e) => e.path)).toEqual(['leaves[1]']);
  });

  it('never coerces: numeric strings stay wrong, numbers are not strings', () => {
    expect(errorsOf(SlaMicroservice, { ...microservice, memory: '100' }).map((e) => e.path)).toEqual(['memory']);
    expect(errorsOf(SlaMicroservice, { ...microservice, code: 5 }).map((e) => e.path)).toEqual(['code']);
    expect(errorsOf(SlaMicroservice, { ...microservice, one_shot: 'false' }).map((e) => e.path)).toEqual(['one_shot']);
  });

  it('strips unknown fields at every depth instead of rejecting them', () => {
    const result = validateInput(SlaDescriptor, {
      sla_version: 'v2.0',
      customerID: 'Admin',
      api_version: 'v1',
      applications: [
        {
          applicationID: '',
          application_name: 'app',
          application_namespace: 'test',
          userId: 'u1',
          microservices: [{ ...microservice, image_runtime: 'docker', addresses: { rr_ip: '10.30.0.1', legacy: 1 } }],
        },
      ],
    });
    if (!result.ok) {
      throw new Error(JSON.stringify(result.errors));
    }
    const json = JSON.parse(JSON.stringify(result.value));
    expect(json).not.toHaveProperty('api_version');
    expect(json.applications[0]).not.toHaveProperty('userId');
    expect(json.applications[0].microservices[0]).not.toHaveProperty('image_runtime');
    expect(json.applications[0].microservices[0].addresses).toEqual({ rr_ip: '10.30.0.1' });
    expect(json.applications[0].microservices[0].code).toBe('docker.io/library/nginx:latest');
  });

  it('does not let a __proto__ key pollute Object.prototype', () => {
    const body: unknown = JSON.parse(
      '{"sla_version":"v2.0","customerID":"a","applications":[],"__proto__":{"polluted":true}}',
    );
    validateInput(SlaDescriptor, body);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('rejects hostile shapes as bad input instead of throwing (found by the root API fuzzer)', () => {
    let deep: unknown = 'x';
    for (let i = 0; i < 50_000; i++) {
      deep = { a: deep };
    }
    const tooDeep = validateInput(SlaDescriptor, { sla_version: 'v2.0', customerID: 'a', applications: deep });
    expect(tooDeep).toEqual({ ok: false, errors: [{ path: '$', message: expect.stringContaining('nested deeper') }] });
    const ctor = validateInput(SlaMicroservice, {
      ...microservice,
      virtualization: { constructor: { prototype: {} } },
    });
    expect(ctor.ok).toBe(false);
    // An array where an array of objects belongs passed @ValidateNested unnoticed (it validates the inner elements).
    const nested = validateInput(SlaDescriptor, { sla_version: 'v2.0', customerID: 'a', applications: [[]] });
    expect(nested).toEqual({ ok: false, errors: [{ path: 'applications', message: expect.any(String) }] });
  });

  it('does not modify the input', () => {
    const body = { sla_version: 'v2.0', customerID: 'a', applications: [], extra: 1 };
    validateInput(SlaDescriptor, body);
    expect(body).toEqual({ sla_version: 'v2.0', customerID: 'a', applications: [], extra: 1 });
  });
});
