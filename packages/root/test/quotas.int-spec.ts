import { testSla } from '@canopy/testing';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { loadRootConfig } from '../src/config/root-config';
import { startRoot, type RootHandle } from '../src/root.bootstrap';

/** Per-user quotas (issue 10) over real HTTP: instances, vCPUs and memory, admin-set with defaults. */
describe('per-user quotas (real root over HTTP)', () => {
  jest.setTimeout(60_000);
  let root: RootHandle;
  let dir: string;
  const tokens: Record<string, string> = {};
  let aliceId = '';
  let carolId = '';
  let counter = 0;
  /** The armed hold: the next transaction waits until `release`; `held` while one waits. */
  let hold: { reached(): void; released: Promise<void> } | undefined;
  let held: { release(why: string): void } | undefined;
  let usageRead = false;
  let readsWhileHeld = 0;
  /** Arms the hold; resolves with what released it once a transaction has waited at it. */
  const armHold = (): { reached: Promise<void>; releasedBy: Promise<string> } => {
    let onReached!: () => void;
    let release!: (why: string) => void;
    const reached = new Promise<void>((resolve) => (onReached = resolve));
    const releasedBy = new Promise<string>((resolve) => (release = resolve));
    hold = {
      reached: () => {
        readsWhileHeld = 0;
        held = { release: (why) => ((held = undefined), release(why)) };
        onReached();
      },
      released: releasedBy.then(() => undefined),
    };
    return { reached, releasedBy };
  };

  async function call(
    who: string,
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; json: any }> {
    const res = await fetch(`${root.url}${path}`, {
      method,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens[who] ?? ''}` },
      body: body === undefined ? null : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, json: text ? JSON.parse(text) : undefined };
  }
  const ms = (extra: Record<string, unknown> = {}) => ({
    microservice_name: 'web',
    microservice_namespace: 'ns',
    virtualization: 'container',
    code: 'canopy-test/busybox:latest',
    memory: 64,
    vcpus: 1,
    ...extra,
  });
  const app = (who: string, microservice: Record<string, unknown>) =>
    call(who, 'POST', '/api/application', testSla(`app${++counter}`, [microservice]));
  const exceeded = (quota: string) => ({
    code: 'QUOTA_EXCEEDED',
    errors: [{ path: `quota.${quota}`, message: expect.stringContaining(`quota ${quota} exceeded`) }],
  });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'canopy-quotas-'));
    root = await startRoot(
      loadRootConfig({
        ROOT_PORT: '0',
        ROOT_HOST: '127.0.0.1',
        ROOT_DATA_DIR: dir,
        CANOPY_ADMIN_PASSWORD: 'quota-admin-pw',
        LOGIN_RATE_LIMIT: '1000',
        CANOPY_QUOTA_INSTANCES: '3',
        CANOPY_QUOTA_VCPUS: '4',
        CANOPY_QUOTA_MEMORY_MB: '256',
      }),
      pino({ level: 'silent' }),
      {
        // A deterministic overlap of two reservations of one owner (see the concurrent test):
        // the next transaction armed waits at its start, between the first create's quota check
        // and its write, until the second create either queues behind the owner's lock (the
        // probe) or, were there no lock, has read the owner's usage itself.
        wrapStore: (store) => {
          const transaction = store.transaction.bind(store);
          store.transaction = async (fn) => {
            // Only the transaction right after a usage read (a create's write after its check).
            const gate = usageRead ? hold : undefined;
            if (gate) {
              hold = undefined;
              gate.reached();
              await gate.released;
            }
            return transaction(fn);
          };
          const find = store.services.find.bind(store.services);
          store.services.find = async (filter) => {
            const found = await find(filter);
            if (filter !== undefined && Object.keys(filter).join() === 'ownerId') {
              usageRead = hold !== undefined;
              // The check reads the usage twice (before, and without the services replaced): the
              // second create has made its whole check once both reads are done.
              if (held !== undefined && ++readsWhileHeld === 2) {
                held.release('usage read');
              }
            }
            return found;
          };
          return store;
        },
        onQuotaWait: () => held?.release('lock wait'),
      },
    );
    const login = async (username: string, password: string) =>
      ((await call('', 'POST', '/api/auth/login', { username, password })).json as { token: string }).token;
    tokens.admin = await login('Admin', 'quota-admin-pw');
    for (const name of ['alice', 'bob', 'carol']) {
      const created = await call('admin', 'POST', '/api/users', {
        username: name,
        password: `${name}-password`,
        role: 'Application_Provider',
      });
      if (name === 'alice') {
        aliceId = created.json.id;
      }
      if (name === 'carol') {
        carolId = created.json.id;
      }
      tokens[name] = await login(name, `${name}-password`);
    }
  });

  afterAll(async () => {
    await root.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('shows a user its quota (the defaults) and usage; nobody else but an admin, and only an admin sets it', async () => {
    expect((await call('alice', 'GET', `/api/user/${aliceId}/quota`)).json).toEqual({
      quota: { instances: 3, vcpus: 4, memory_mb: 256 },
      used: { instances: 0, vcpus: 0, memory_mb: 0 },
    });
    expect((await call('bob', 'GET', `/api/user/${aliceId}/quota`)).status).toBe(404);
    expect((await call('alice', 'PUT', `/api/user/${aliceId}/quota`, { instances: 99 })).status).toBe(403);
    expect((await call('admin', 'PUT', `/api/user/${aliceId}/quota`, { instances: -1 })).json).toMatchObject({
      code: 'VALIDATION_FAILED',
      errors: [{ path: 'instances' }],
    });
  });

  it('refuses what would pass a quota, naming it, on create, scale, update and deploy', async () => {
    const created = await app('alice', ms({ replicas: 2 }));
    expect(created.status).toBe(201);
    const serviceId = created.json.applications[0].microservices[0] as string;
    expect((await call('alice', 'GET', `/api/user/${aliceId}/quota`)).json.used).toEqual({
      instances: 2,
      vcpus: 2,
      memory_mb: 128,
    });

    expect((await call('alice', 'PUT', `/api/service/${serviceId}`, ms({ replicas: 4 }))).json).toMatchObject(
      exceeded('instances'),
    );
    expect((await call('alice', 'PUT', `/api/service/${serviceId}`, ms({ memory: 200 }))).json).toMatchObject(
      exceeded('memory_mb'),
    );
    expect((await app('alice', ms({ replicas: 1, vcpus: 3 }))).json).toMatchObject(exceeded('vcpus'));

    expect((await call('alice', 'POST', `/api/service/${serviceId}/instance`)).status).toBe(200);
    expect((await call('alice', 'POST', `/api/service/${serviceId}/instance`)).json).toMatchObject(
      exceeded('instances'),
    );
    // Nothing refused was written.
    expect((await call('alice', 'GET', `/api/user/${aliceId}/quota`)).json.used).toEqual({
      instances: 3,
      vcpus: 3,
      memory_mb: 192,
    });
    // Bob's quota is his own.
    expect((await app('bob', ms({ replicas: 3 }))).status).toBe(201);
  });

  it('follows what an admin sets, still lets a user scale down under a lowered quota, and never limits an admin', async () => {
    const raised = await call('admin', 'PUT', `/api/user/${aliceId}/quota`, {
      instances: 10,
      vcpus: 10,
      memory_mb: 4096,
    });
    expect(raised.json.quota).toEqual({ instances: 10, vcpus: 10, memory_mb: 4096 });
    const created = await app('alice', ms({ replicas: 5 }));
    expect(created.status).toBe(201);
    const serviceId = created.json.applications[0].microservices[0] as string;

    await call('admin', 'PUT', `/api/user/${aliceId}/quota`, { instances: 1 });
    expect((await call('alice', 'GET', `/api/user/${aliceId}/quota`)).json.quota).toEqual({
      instances: 1,
      vcpus: 4,
      memory_mb: 256,
    });
    expect((await call('alice', 'PUT', `/api/service/${serviceId}`, ms({ replicas: 2 }))).status).toBe(200);
    expect((await call('alice', 'PUT', `/api/service/${serviceId}`, ms({ replicas: 3 }))).json).toMatchObject(
      exceeded('instances'),
    );
    expect((await app('admin', ms({ replicas: 8, vcpus: 2 }))).status).toBe(201);
  });

  it('holds under concurrent creates, scales and deploys of one user (check and reserve are one step)', async () => {
    const one = () => ms({ replicas: 1, vcpus: 0, memory: 1 });
    const used = async () =>
      ((await call('carol', 'GET', `/api/user/${carolId}/quota`)).json as { used: { instances: number } }).used;
    // Two instances of the quota's three in use; then two creates of one instance each overlap:
    // the first is held after its quota check, before its write, while the second comes in.
    const first = [await app('carol', one()), await app('carol', one())];
    expect(first.map((r) => r.status)).toEqual([201, 201]);
    const gate = armHold();
    const a = app('carol', one());
    await gate.reached;
    const b = app('carol', one());
    // With the owner's lock the second queues behind the first; without it, it read the usage
    // (two) while the first was held, passed the check, and both would land (four of three).
    const pair = await Promise.all([a, b]);
    expect(pair.map((r) => r.status)).toEqual([201, 409]);
    expect(await gate.releasedBy).toBe('lock wait');
    expect(pair[1]?.json).toMatchObject(exceeded('instances'));
    expect((await used()).instances).toBe(3);
    const creates = [...first, pair[0]];

    // Scale down to one each, then race scale-ups and deploys of the three services.
    const ids = creates.filter((r) => r.status === 201).map((r) => r.json.applications[0].microservices[0] as string);
    for (const id of ids) {
      expect((await call('carol', 'PUT', `/api/service/${id}`, ms({ replicas: 0, vcpus: 0, memory: 1 }))).status).toBe(
        200,
      );
    }
    const raced = await Promise.all(
      ids.flatMap((id) => [
        call('carol', 'PUT', `/api/service/${id}`, ms({ replicas: 2, vcpus: 0, memory: 1 })),
        call('carol', 'POST', `/api/service/${id}/instance`),
        call('carol', 'POST', `/api/service/${id}/instance`),
      ]),
    );
    expect(raced.every((r) => r.status === 200 || (r.status === 409 && r.json.code === 'QUOTA_EXCEEDED'))).toBe(true);
    expect((await used()).instances).toBeLessThanOrEqual(3);
  });
});
