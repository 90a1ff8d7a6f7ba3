import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import pino from 'pino';
import { NAME_PATTERN, SlaDescriptor, validateInput } from '@canopy/schema';
import { loadRootConfig, startRoot, type RootHandle } from '../src';
import { ServiceUpdateDto } from '../src/services/dto/service-update.dto';

/**
 * Property-based fuzzing of the two bodies users write by hand, against a real root (in-process,
 * real HTTP, real SQLite): `POST /api/application` (an SLA) and `PUT /api/service/<id>` (one
 * microservice + optional version). Each run sends at least 2,000 malformed bodies per route, built
 * by mutating a valid body. Oracles: the schema's own `validateInput` (invalid ⇒ 4xx), plus
 * independent hand-written rules that do not trust the schema (a dotted name is never accepted).
 */

const RUNS = Number(process.env.FUZZ_RUNS ?? 2000);
const BATCH = 16;
const SEED = Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31);

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** A request body: a JSON value to serialize, or raw text sent as is. */
type Body = { json: unknown } | { raw: string };

function validMicroservice(): Record<string, Json> {
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

function validSla(): Record<string, Json> {
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

function firstApp(sla: Record<string, Json>): Record<string, Json> {
  const app = (sla.applications as Record<string, Json>[])[0];
  if (!app) throw new Error('no application in the base body');
  return app;
}

const MICROSERVICE_FIELDS = [
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
type Path = (string | number)[];
const MS: Path = ['applications', 0, 'microservices', 0];
const SLA_PATHS: Path[] = [
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
const SERVICE_PATHS: Path[] = [['version'], ...MICROSERVICE_FIELDS.map((f) => [f]), ['cmd', 0], ['constraints', 0]];

const deep = (depth: number, leaf: Json): Json => {
  let value = leaf;
  for (let i = 0; i < depth; i++) value = i % 2 === 0 ? { a: value } : [value];
  return value;
};

/** Values that are wrong somewhere in these bodies, and some that are right in other places. */
const badValue: fc.Arbitrary<Json | undefined> = fc.oneof(
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
  { arbitrary: fc.integer({ min: 1, max: 2000 }).map((d) => deep(d, 'x')), weight: 1 }, // deep nesting
  { arbitrary: fc.string({ unit: 'binary', maxLength: 40 }), weight: 2 }, // unicode
  {
    arbitrary: fc.constantFrom<Json>(JSON.parse('{"__proto__":{"polluted":true}}') as Json, {
      constructor: { prototype: { polluted: true } },
    }),
    weight: 1,
  },
);

function setAt(target: unknown, path: Path, value: Json | undefined): unknown {
  if (path.length === 0) return value;
  if (target === null || typeof target !== 'object') return target;
  const [head, ...rest] = path;
  const container = target as Record<string | number, unknown>;
  if (rest.length === 0) {
    if (value === undefined) {
      if (Array.isArray(container) && typeof head === 'number') container.splice(head, 1);
      else delete container[head as string];
    } else {
      // A copy: the bad values include shared constants, and a later edit of this run could
      // otherwise write into one of them (and even place it inside itself: a circular body).
      container[head as string] = structuredClone(value);
    }
  } else {
    setAt(container[head as string], rest, value);
  }
  return target;
}

function mutated(base: () => Record<string, Json>, paths: Path[]): fc.Arbitrary<Body> {
  const edits = fc.array(fc.tuple(fc.constantFrom(...paths), badValue), { minLength: 1, maxLength: 3 });
  const structured = edits.map((list): Body => {
    let body: unknown = base();
    for (const [path, value] of list) body = setAt(body, path, value);
    return { json: body };
  });
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
function parsed(body: Body): { value: unknown } | undefined {
  if ('json' in body) return { value: JSON.parse(JSON.stringify(body.json ?? null)) as unknown };
  try {
    return { value: JSON.parse(body.raw) as unknown };
  } catch {
    return undefined;
  }
}

const isBadName = (v: unknown) => typeof v !== 'string' || !/^[A-Za-z0-9]{1,30}$/.test(v);
// `null` on an optional field means absent (class-validator's @IsOptional, and Oakestra's files).
const isBadCount = (v: unknown) => v != null && !(typeof v === 'number' && Number.isInteger(v) && v >= 0);

/** Independent of the schema classes: rules a reader can check by eye against SPEC §3. */
function handRules(ms: unknown): string[] {
  const problems: string[] = [];
  if (ms === null || typeof ms !== 'object' || Array.isArray(ms)) return ['microservice is not an object'];
  const m = ms as Record<string, unknown>;
  if (isBadName(m.microservice_name)) problems.push('microservice_name');
  if (isBadName(m.microservice_namespace)) problems.push('microservice_namespace');
  if (m.virtualization !== 'container' && m.virtualization !== 'docker') problems.push('virtualization');
  if (typeof m.code !== 'string' || m.code === '') problems.push('code');
  for (const f of ['memory', 'vcpus', 'replicas']) if (isBadCount(m[f])) problems.push(f);
  // Whitespace around entries is tolerated on purpose (see port-spec.spec.ts); anything else outside the syntax is not.
  if (m.port != null && (typeof m.port !== 'string' || /[^0-9:;/a-z\s]/.test(m.port))) problems.push('port');
  return problems;
}

function slaHandRules(value: unknown): string[] {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return ['not an object'];
  const v = value as Record<string, unknown>;
  const problems: string[] = [];
  if (v.sla_version !== 'v2.0') problems.push('sla_version');
  if (!Array.isArray(v.applications)) return [...problems, 'applications'];
  for (const a of v.applications as unknown[]) {
    if (a === null || typeof a !== 'object') return [...problems, 'application'];
    const app = a as Record<string, unknown>;
    if (isBadName(app.application_name)) problems.push('application_name');
    if (isBadName(app.application_namespace)) problems.push('application_namespace');
    // Absent is Oakestra's "none yet" (its corpus accepts it, issue 11); anything else must be a list.
    if (app.microservices === undefined) continue;
    if (!Array.isArray(app.microservices)) problems.push('microservices');
    else for (const ms of app.microservices as unknown[]) problems.push(...handRules(ms));
  }
  return problems;
}

/** What the root's HTTP API validates: the body with a missing customerID filled in. */
function withCaller(value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  const v = value as Record<string, unknown>;
  return v.customerID === undefined ? { ...v, customerID: 'the caller' } : v;
}

/** A body the validator cannot even process (it throws) is invalid: the API must reject it too. */
function invalidOrThrows(isInvalid: (value: unknown) => boolean, value: unknown): boolean {
  try {
    return isInvalid(value);
  } catch {
    return true;
  }
}

/** What one run saw; only a few failing bodies are kept (2,000 deep bodies would not fit in memory). */
interface Tally {
  sent: number;
  invalid: number;
  statuses: Record<number, number>;
  /** Applications created by accepted bodies. */
  created: number;
  serverErrors: string[];
  acceptedInvalid: string[];
  acceptedByHand: string[];
  badErrorShape: string[];
}

function summary(body: Body, status: number, response: string): string {
  const text = 'raw' in body ? body.raw : JSON.stringify(body.json);
  return `${status} ${response.slice(0, 200)} <- ${text.slice(0, 300)}`;
}

function keep(list: string[], item: () => string): void {
  if (list.length < 5) list.push(item());
}

describe('fuzzing the root API with malformed bodies (fast-check, real HTTP)', () => {
  jest.setTimeout(300_000);
  const dir = mkdtempSync(join(tmpdir(), 'canopy-fuzz-'));
  let root: RootHandle;
  let token = '';
  let serviceId = '';

  async function send(method: string, path: string, body?: Body): Promise<{ status: number; text: string }> {
    const res = await fetch(`${root.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : 'raw' in body ? body.raw : JSON.stringify(body.json),
    });
    return { status: res.status, text: await res.text() };
  }

  /** Sends bodies from `arb` in small parallel batches until `RUNS` schema-invalid ones went out. */
  async function run(
    arb: fc.Arbitrary<Body>,
    method: string,
    path: string,
    isInvalid: (value: unknown) => boolean,
    hand: (value: unknown) => string[],
  ): Promise<Tally> {
    const t: Tally = {
      sent: 0,
      invalid: 0,
      statuses: {},
      created: 0,
      serverErrors: [],
      acceptedInvalid: [],
      acceptedByHand: [],
      badErrorShape: [],
    };
    let seed = SEED;
    while (t.invalid < RUNS) {
      const bodies = fc.sample(arb, { numRuns: 250, seed: seed++ });
      process.stderr.write(`sent ${t.sent} rss ${Math.round(process.memoryUsage().rss / 1e6)} MB\n`);
      for (let i = 0; i < bodies.length && t.invalid < RUNS; i += BATCH) {
        const batch = bodies.slice(i, i + BATCH);
        const results = await Promise.all(batch.map((b) => send(method, path, b)));
        batch.forEach((body, k) => {
          const { status, text } = results[k] ?? { status: 0, text: '' };
          const p = parsed(body);
          const schemaInvalid = p === undefined || invalidOrThrows(isInvalid, p.value);
          const handProblems = p === undefined ? ['not JSON'] : hand(p.value);
          t.sent++;
          t.statuses[status] = (t.statuses[status] ?? 0) + 1;
          if (schemaInvalid) t.invalid++;
          if (status >= 500) keep(t.serverErrors, () => summary(body, status, text));
          if (schemaInvalid && status < 400) keep(t.acceptedInvalid, () => summary(body, status, text));
          if (handProblems.length > 0 && status < 400)
            keep(t.acceptedByHand, () => `${handProblems.join(',')}: ${summary(body, status, text)}`);
          if (status === 201) t.created += (JSON.parse(text) as { applications: unknown[] }).applications.length;
          // Every rejection carries the API's error shape.
          if (status === 400) {
            const shape = JSON.parse(text) as { statusCode?: unknown; code?: unknown; errors?: unknown };
            if (shape.statusCode !== 400 || typeof shape.code !== 'string' || !Array.isArray(shape.errors))
              keep(t.badErrorShape, () => summary(body, status, text));
          }
        });
      }
    }
    return t;
  }

  function check(t: Tally, what: string): void {
    process.stderr.write(
      `fuzz ${what} (seed ${SEED}): ${t.sent} bodies, ${t.invalid} invalid, statuses ${JSON.stringify(t.statuses)}\n`,
    );
    expect(t.invalid).toBeGreaterThanOrEqual(RUNS);
    expect(t.serverErrors).toEqual([]);
    expect(t.acceptedInvalid).toEqual([]);
    expect(t.acceptedByHand).toEqual([]);
    expect(t.badErrorShape).toEqual([]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  }

  beforeAll(async () => {
    const config = loadRootConfig({
      ROOT_PORT: '0',
      ROOT_HOST: '127.0.0.1',
      ROOT_DATA_DIR: dir,
      CANOPY_ADMIN_PASSWORD: 'fuzz-admin-password',
    });
    root = await startRoot(config, pino({ level: 'silent' }));
    const login = await fetch(`${root.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'Admin', password: 'fuzz-admin-password' }),
    });
    token = ((await login.json()) as { token: string }).token;
    const sla = validSla();
    firstApp(sla).application_name = 'fuzzbase';
    const created = await send('POST', '/api/application', { json: sla });
    expect(created.status).toBe(201);
    const view = JSON.parse(created.text) as { applications: { microservices: string[] }[] };
    serviceId = view.applications[0]?.microservices[0] ?? '';
    expect(serviceId).not.toBe('');
  });

  afterAll(async () => {
    await root?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('POST /api/application: no 5xx, no invalid SLA accepted, nothing half-created', async () => {
    const before = JSON.parse((await send('GET', '/api/applications')).text) as unknown[];
    const tally = await run(
      mutated(validSla, SLA_PATHS),
      'POST',
      '/api/application',
      // The HTTP API fills in a missing customerID with the caller (issue 11) before validating.
      (v) => !validateInput(SlaDescriptor, withCaller(v)).ok,
      slaHandRules,
    );
    check(tally, 'POST /api/application');
    // Only the accepted bodies left applications behind: a rejected one never half-creates.
    const after = JSON.parse((await send('GET', '/api/applications')).text) as unknown[];
    expect(after.length - before.length).toBe(tally.created);
  });

  it('PUT /api/service/<id>: no 5xx, no invalid microservice accepted', async () => {
    const tally = await run(
      mutated(validMicroservice, SERVICE_PATHS),
      'PUT',
      `/api/service/${serviceId}`,
      (v) => !validateInput(ServiceUpdateDto, v).ok,
      (v) => {
        const problems = handRules(v);
        const version = (v as Record<string, unknown> | null)?.version;
        if (version !== undefined && !(typeof version === 'number' && Number.isInteger(version) && version >= 1))
          problems.push('version');
        return problems;
      },
    );
    check(tally, `PUT /api/service/${serviceId}`);
    // The service is still readable and still the one we created: no invalid body reached the store.
    const svc = await send('GET', `/api/service/${serviceId}`);
    expect(svc.status).toBe(200);
    expect(svc.text).toContain('"web"');
  });

  it('never accepts a name with a dot, whatever else the body holds', async () => {
    // A focused property with shrinking: the one rule users trip over most.
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('application_name', 'application_namespace', 'microservice_name', 'microservice_namespace'),
        fc.tuple(fc.stringMatching(/^[a-z0-9]{0,12}$/), fc.stringMatching(/^[a-z0-9]{0,12}$/)),
        async (field, [left, right]) => {
          const sla = validSla();
          const app = firstApp(sla);
          const target = field.startsWith('application') ? app : (app.microservices as Record<string, Json>[])[0];
          if (!target) throw new Error('no microservice in the base body');
          target[field] = `${left}.${right}`;
          const res = await send('POST', '/api/application', { json: sla });
          expect(res.status).toBe(400);
          expect(res.text).toContain(field);
        },
      ),
      { numRuns: 100, seed: SEED },
    );
    expect(NAME_PATTERN.test('a.b')).toBe(false);
  });
});
