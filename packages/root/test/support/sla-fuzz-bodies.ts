import fc from 'fast-check';
import { deepValue, edited, pollutingValues, type Json, type Path } from './fuzz-edits';

/*
 * The bodies fuzz.int-spec.ts sends: a valid SLA and microservice to start from, the paths a
 * mutation may edit, the wrong values it writes there, and raw text that is not JSON at all.
 */

/** A request body: a JSON value to serialize, or raw text sent as is. */
export type Body = { json: unknown } | { raw: string };

export function validMicroservice(): Record<string, Json> {
  return {
    microserviceID: '',
    microservice_name: 'web',
    microservice_namespace: 'test',
    virtualization: 'container',
    code: 'canopy-test/busybox:latest',
    cmd: ['sleep', '3600'],
    environment: ['A=1'],
    memory: 32,
    vcpus: 1,
    port: '18080:80',
    replicas: 0,
    addresses: { rr_ip: '10.30.0.1' },
    constraints: [{ type: 'direct', cluster: 'nowhere' }],
  };
}

export function validSla(): Record<string, Json> {
  return {
    sla_version: 'v2.0',
    customerID: 'Admin',
    applications: [
      {
        applicationID: '',
        application_name: 'fuzz',
        application_namespace: 'test',
        application_desc: 'fuzzing',
        microservices: [validMicroservice()],
      },
    ],
  };
}

export function firstApp(sla: Record<string, Json>): Record<string, Json> {
  const app = (sla.applications as Record<string, Json>[])[0];
  if (!app) {
    throw new Error('no application in the base body');
  }
  return app;
}

export const MICROSERVICE_FIELDS = [
  'microserviceID',
  'microservice_name',
  'microservice_namespace',
  'virtualization',
  'code',
  'cmd',
  'environment',
  'memory',
  'vcpus',
  'vgpus',
  'bandwidth_in',
  'storage',
  'port',
  'replicas',
  'addresses',
  'one_shot',
  'privileged',
  'constraints',
  'connectivity',
  'node_labels',
  'image_registry',
  'cap_add',
  'arch',
  'placement_policy',
];
export const MS: Path = ['applications', 0, 'microservices', 0];
export const SLA_PATHS: Path[] = [
  ['sla_version'],
  ['customerID'],
  ['applications'],
  ['applications', 0],
  ['applications', 0, 'applicationID'],
  ['applications', 0, 'application_name'],
  ['applications', 0, 'application_namespace'],
  ['applications', 0, 'application_desc'],
  ['applications', 0, 'microservices'],
  MS,
  ...MICROSERVICE_FIELDS.map((f) => [...MS, f]),
  [...MS, 'cmd', 0],
  [...MS, 'environment', 0],
  [...MS, 'addresses', 'rr_ip'],
  [...MS, 'constraints', 0],
  [...MS, 'constraints', 0, 'type'],
  [...MS, 'constraints', 0, 'threshold'],
];
export const SERVICE_PATHS: Path[] = [
  ['version'],
  ...MICROSERVICE_FIELDS.map((f) => [f]),
  ['cmd', 0],
  ['constraints', 0],
];

/** Values that are wrong somewhere in these bodies, and some that are right in other places. */
export const badValue: fc.Arbitrary<Json | undefined> = fc.oneof(
  { arbitrary: fc.constant(undefined), weight: 3 }, // field removed
  { arbitrary: fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<Json>, weight: 4 }, // wrong types, nested garbage
  {
    arbitrary: fc.constantFrom<Json>(
      'a.b',
      'web.v2',
      'has space',
      'dash-name',
      '',
      'x'.repeat(31),
      'ñame',
      '名前',
      '😀',
      'web\u0000',
      'web\n',
      '../../etc',
      '$where',
      '__proto__',
      'v2.0 ',
      'V2.0',
    ),
    weight: 3,
  }, // bad names and near-misses
  {
    arbitrary: fc.constantFrom<Json>(
      '80:',
      ':80',
      '0:80',
      '65536:80',
      '80:99999',
      '80:80/sctp',
      '-1',
      '1e3',
      '80;;81',
      '8080:80;8080:81',
      'abc',
      ' 80',
      '80:80/TCP/udp',
    ),
    weight: 2,
  }, // bad ports
  {
    arbitrary: fc.constantFrom<Json>(
      -1,
      -0.5,
      0.5,
      1.5,
      1e308,
      -1e308,
      Number.MAX_SAFE_INTEGER + 2,
      2 ** 31,
      -(2 ** 31),
      '1',
      '64',
      true,
      [],
      {},
      [1],
      [[]],
      [[{}]],
      [null],
      [{}, 'x'],
    ),
    weight: 3,
  }, // numbers: negative, fractional, huge, or numbers in disguise
  { arbitrary: fc.integer({ min: 1, max: 2000 }).map((d) => deepValue(d)), weight: 1 }, // deep nesting
  { arbitrary: fc.string({ unit: 'binary', maxLength: 40 }), weight: 2 }, // unicode
  { arbitrary: fc.constantFrom(...pollutingValues()), weight: 1 },
);

export function mutated(base: () => Record<string, Json>, paths: Path[]): fc.Arbitrary<Body> {
  const structured = edited(base, paths, badValue).map((json): Body => ({ json }));
  const raw = fc.oneof(
    // invalid JSON text: a valid body cut short, or noise
    fc.nat({ max: 400 }).map((cut): Body => ({ raw: JSON.stringify(base()).slice(0, cut) })),
    fc.string({ unit: 'binary', maxLength: 60 }).map((s): Body => ({ raw: s })),
    // non-object JSON
    fc.constantFrom<Body>(
      { raw: 'null' },
      { raw: '42' },
      { raw: '"v2.0"' },
      { raw: 'true' },
      { raw: '[]' },
      { raw: '[{}]' },
      { raw: '{}' },
    ),
    // deep nesting, as text (up to ~200 kB, under the body limit)
    fc.integer({ min: 100, max: 100_000 }).map((n): Body => ({ raw: '['.repeat(n) + ']'.repeat(n) })),
    fc.integer({ min: 100, max: 50_000 }).map((n): Body => ({
      raw: '{"sla_version":"v2.0","applications":' + '{"a":'.repeat(n) + '1' + '}'.repeat(n) + '}',
    })),
    // a prototype-pollution attempt as raw text (JSON.stringify would drop `__proto__` as a key)
    fc.constant<Body>({ raw: JSON.stringify(base()).replace(/^\{/, '{"__proto__":{"polluted":true},') }),
  );
  return fc.oneof({ arbitrary: structured, weight: 8 }, { arbitrary: raw, weight: 2 });
}

/** What the server will see after parsing, or `undefined` when the text is not JSON. */
export function parsed(body: Body): { value: unknown } | undefined {
  if ('json' in body) {
    return { value: JSON.parse(JSON.stringify(body.json ?? null)) as unknown };
  }
  try {
    return { value: JSON.parse(body.raw) as unknown };
  } catch {
    return undefined;
  }
}
