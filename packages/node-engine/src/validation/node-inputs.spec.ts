import fc from 'fast-check';
import * as schema from '@canopy/schema';
import { acceptOnlyCheck } from '@canopy/schema';
import { instanceSpec } from '@canopy/testing';
import { NODE_INPUT_CLASSES, type NodeInputClass } from './node-input-classes';
import { NODE_INPUTS } from './node-inputs.generated';
import { validateNodeInput } from './node-inputs';

const classOf = (name: NodeInputClass): new () => object => schema[name];

describe('node input descriptions', () => {
  it('are what the schema classes describe today (regenerate: node scripts/generate-node-inputs.js)', () => {
    const roots = Object.fromEntries(NODE_INPUT_CLASSES.map((n) => [n, classOf(n)]));
    expect(NODE_INPUTS).toEqual(schema.describeClasses(roots));
  });

  it('model every field but node labels and the custom SLA constraint fields (those take the full path)', () => {
    const unmodelled = Object.entries(NODE_INPUTS).flatMap(([cls, fields]) =>
      fields.filter((f) => f.unmodelled === true).map((f) => `${cls}.${f.name}`),
    );
    expect(unmodelled.sort()).toEqual([
      'DeployCommand.nodeLabels',
      'InstanceSpecDto.nodeLabels',
      'SlaConstraint.key',
      'SlaConstraint.location',
      'SlaConstraint.value',
    ]);
  });
});

/** Values each field may take: valid and invalid ones, all JSON. */
const VALUES: unknown[] = [
  undefined,
  null,
  0,
  -1,
  1,
  1.5,
  80,
  100,
  70_000,
  4_000_000,
  '',
  'x',
  'A=1',
  '1=bad',
  'NET_ADMIN',
  'net_admin',
  'req-1',
  'bad id!',
  'a'.repeat(300),
  true,
  false,
  [],
  ['a', 'b'],
  ['A=1', 'B_2=x'],
  ['A=1', '=x'],
  ['NET_ADMIN', 'CAP_SYS_TIME'],
  ['/a:/b', 'x'.repeat(1100)],
  [1, 2],
  {},
  [{ containerPort: 80, protocol: 'tcp' }],
  [{ containerPort: 80, hostPort: 8080, protocol: 'udp' }],
  [{ containerPort: 0, protocol: 'tcp' }],
  [{ containerPort: 80, protocol: 'sctp' }],
  [{ containerPort: 80, protocol: 'tcp', unknownKey: 1 }],
  { username: 'u', password: 'p' },
  { username: 'u', password: 'p', serveraddress: 'r.example:5000' },
  { username: '', password: 'p' },
  { zone: 'eu' },
  [{ type: 'latency', area: 'x' }],
];

const valuesFor = (fields: readonly string[]): fc.Arbitrary<Record<string, unknown>> =>
  fc.dictionary(fc.constantFrom(...fields), fc.constantFrom(...VALUES), { maxKeys: 3 });

/** A valid input of each class, then up to three fields replaced (or removed, or added). */
const BASE: Record<NodeInputClass, () => Record<string, unknown>> = {
  DeployCommand: () => ({ ...instanceSpec('s1', { epoch: 2 }) }),
  InstanceSpecDto: () => ({ ...instanceSpec('s1', { ports: [{ containerPort: 80, protocol: 'tcp' }] }) }),
  DeleteCommand: () => ({ serviceId: 's1', instanceNumber: 0, generation: 1 }),
  LogsCommand: () => ({ serviceId: 's1', instanceNumber: 0, generation: 1, requestId: 'r1', tail: 100 }),
  PaceCommand: () => ({ reportIntervalMs: 2000 }),
  SyncCommand: () => ({ instances: [instanceSpec('s1'), instanceSpec('s2', { cmd: ['sleep', '1'] })] }),
};

function inputArb(name: NodeInputClass): fc.Arbitrary<Record<string, unknown>> {
  const fields = NODE_INPUTS[name]!.map((f) => f.name).concat(['unknownKey']);
  return valuesFor(fields).map((changes) => {
    const input = BASE[name]();
    for (const [k, v] of Object.entries(changes)) {
      if (v === undefined) {
        delete input[k];
      } else {
        input[k] = v;
      }
    }
    return input;
  });
}

/** Sync's instances, each mutated like a deploy. */
const syncArb = fc
  .array(inputArb('InstanceSpecDto'), { maxLength: 3 })
  .map((instances): Record<string, unknown> => ({ instances }));

describe.each(NODE_INPUT_CLASSES.map((n) => [n]))('%s: the accept-only check against class-validator', (name) => {
  const arb = name === 'SyncCommand' ? fc.oneof(syncArb, inputArb(name)) : inputArb(name);
  const fast = acceptOnlyCheck(NODE_INPUTS, name);
  const unsure = (input: unknown): boolean => JSON.stringify(input).match(/unknownKey|constraints|nodeLabels/) !== null;

  it('accepts only what validateInput accepts, with the value it returns, and all of it but unknown keys', () => {
    fc.assert(
      fc.property(arb, (input) => {
        const full = schema.validateInput(classOf(name), input);
        const quick = fast(input);
        if (quick !== undefined) {
          expect(full.ok).toBe(true);
          expect(quick).toEqual(full.ok ? full.value : undefined);
        } else if (!unsure(input)) {
          expect(full.ok).toBe(false);
        }
      }),
      { numRuns: 400 },
    );
  });

  it('gives the node the same verdict, value and field errors as validateInput', () => {
    fc.assert(
      fc.property(arb, (input) => {
        const full = schema.validateInput(classOf(name), input);
        const node = validateNodeInput(name, input);
        expect(node.ok).toBe(full.ok);
        expect(node.ok ? node.value : node.errors).toEqual(full.ok ? full.value : full.errors);
      }),
      { numRuns: 200 },
    );
  });
});

it('names the bad field as class-validator does (a deploy with a negative memory limit)', () => {
  const result = validateNodeInput('DeployCommand', { ...instanceSpec('s1'), memoryMb: -1 });
  expect(result).toEqual({ ok: false, errors: [expect.objectContaining({ path: 'memoryMb' })] });
});
