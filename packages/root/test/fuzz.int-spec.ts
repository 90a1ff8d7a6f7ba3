import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import pino from 'pino';
import { NAME_PATTERN, SlaDescriptor, validateInput } from '@canopy/schema';
import { loadRootConfig, startRoot, type RootHandle } from '../src';
import { ServiceUpdateDto } from '../src/services/dto/service-update.dto';
import {
  firstApp,
  mutated,
  parsed,
  SERVICE_PATHS,
  SLA_PATHS,
  validMicroservice,
  validSla,
  type Body,
} from './support/sla-fuzz-bodies';
import type { Json } from './support/fuzz-edits';
import { handRules, slaHandRules } from './support/sla-hand-rules';

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

/** What the root's HTTP API validates: the body with a missing customerID filled in. */
function withCaller(value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return value;
  }
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
  if (list.length < 5) {
    list.push(item());
  }
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
      body: body === undefined ? null : 'raw' in body ? body.raw : JSON.stringify(body.json),
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
          if (schemaInvalid) {
            t.invalid++;
          }
          if (status >= 500) {
            keep(t.serverErrors, () => summary(body, status, text));
          }
          if (schemaInvalid && status < 400) {
            keep(t.acceptedInvalid, () => summary(body, status, text));
          }
          if (handProblems.length > 0 && status < 400) {
            keep(t.acceptedByHand, () => `${handProblems.join(',')}: ${summary(body, status, text)}`);
          }
          if (status === 201) {
            t.created += (JSON.parse(text) as { applications: unknown[] }).applications.length;
          }
          // Every rejection carries the API's error shape.
          if (status === 400) {
            const shape = JSON.parse(text) as { statusCode?: unknown; code?: unknown; errors?: unknown };
            if (shape.statusCode !== 400 || typeof shape.code !== 'string' || !Array.isArray(shape.errors)) {
              keep(t.badErrorShape, () => summary(body, status, text));
            }
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
        if (version !== undefined && !(typeof version === 'number' && Number.isInteger(version) && version >= 1)) {
          problems.push('version');
        }
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
          if (!target) {
            throw new Error('no microservice in the base body');
          }
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
