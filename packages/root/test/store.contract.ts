import { type SlaMicroservice, ConflictError, StaleVersionError } from '@canopy/schema';
import type {
  ApiTokenRecord,
  ApplicationRecord,
  InstanceRecord,
  NewDoc,
  ServiceRecord,
} from '../src/persistence/records';
import type { Store } from '../src/persistence/store.port';

/** One store under test, on its own fresh data (a temp directory, a throwaway database). */
export interface StoreHarness {
  store: Store;
  /** Closes the store and opens it again on the same data: what a restart does. */
  reopen(): Promise<Store>;
  /** Closes the store and removes its data. */
  destroy(): Promise<void>;
}

export function app(id: string, ownerId = 'u1', name = id, microservices: string[] = []): NewDoc<ApplicationRecord> {
  return {
    id,
    ownerId,
    customerID: ownerId,
    application_name: name,
    application_namespace: 'ns',
    application_desc: '',
    microservices,
  };
}

export function service(id: string, applicationId: string, ownerId = 'u1'): NewDoc<ServiceRecord> {
  const sla = {
    microserviceID: '',
    microservice_name: id,
    microservice_namespace: 'ns',
    virtualization: 'container',
    code: 'canopy-test/busybox:latest',
    cmd: ['httpd', '-f', '-p', '80'],
    environment: ['A=1', 'B=$not_an_operator'],
    memory: 64,
    vcpus: 1,
    port: '8080:80',
    addresses: {},
    constraints: [{ type: 'direct', cluster: 'c1' }],
    node_labels: { 'kubernetes.io/arch': 'amd64' },
    one_shot: false,
  } as SlaMicroservice;
  return {
    id,
    ownerId,
    applicationId,
    jobName: `a.ns.${id}.ns`,
    sla,
    generation: 1,
    replicas: 2,
    scheduled: true,
    nextInstance: 0,
  };
}

export function instance(serviceId: string, n: number, clusterId?: string): NewDoc<InstanceRecord> {
  return {
    id: `${serviceId}:${n}`,
    ownerId: 'u1',
    serviceId,
    instanceNumber: n,
    generation: 1,
    desired: 'running',
    status: 'REQUESTED',
    statusDetail: '',
    ...(clusterId === undefined ? {} : { clusterId }),
    hostPorts: [],
    history: [{ status: 'REQUESTED', at: '2024-01-01T00:00:00.000Z' }],
  };
}

export function apiToken(id: string, userId = 'sa1', expiresAt?: string): NewDoc<ApiTokenRecord> {
  return {
    id,
    name: `hlo ${id}`,
    secretHash: 'ab'.repeat(32),
    userId,
    createdBy: 'admin1',
    ...(expiresAt === undefined ? {} : { expiresAt }),
  };
}

/** The fields a stored record carries beyond what was inserted. */
const STORED: Record<string, unknown> = {
  version: expect.any(Number) as unknown,
  createdAt: expect.any(String) as unknown,
  updatedAt: expect.any(String) as unknown,
};

/**
 * The repository contract every `Store` implementation must keep (store.port.ts): the same suite
 * runs against SQLite and MongoDB. `describeFn` is `describe.skip` when the backend is unavailable.
 */
export function describeStoreContract(
  name: string,
  open: () => StoreHarness | Promise<StoreHarness>,
  describeFn: jest.Describe = describe,
): void {
  describeFn(`${name}: the store contract`, () => {
    let h: StoreHarness;
    let store: Store;

    beforeEach(async () => {
      h = await open();
      store = h.store;
    });

    afterEach(async () => {
      await h.destroy();
    });

    describe('single records', () => {
      it('inserts at version 1 with timestamps and gets the same plain record back', async () => {
        const inserted = await store.services.insert(service('s1', 'a1'));
        expect(inserted).toEqual({ ...service('s1', 'a1'), ...STORED, version: 1 });
        expect(inserted.createdAt).toBe(inserted.updatedAt);
        expect(new Date(inserted.createdAt).toISOString()).toBe(inserted.createdAt);
        expect(await store.services.get('s1')).toEqual(inserted);
        expect(await store.services.get('nope')).toBeUndefined();
      });

      it('returns string ids and nothing storage-specific (no _id, $oid, __v)', async () => {
        await store.applications.insert(app('a1'));
        await store.instances.insert(instance('s1', 0, 'c1'));
        const records = [
          await store.applications.get('a1'),
          ...(await store.applications.find()),
          await store.instances.get('s1:0'),
          ...(await store.instances.find({ clusterId: 'c1' })),
        ];
        for (const record of records) {
          expect(typeof record?.id).toBe('string');
          expect(Object.keys(record ?? {}).filter((k) => k.startsWith('_') || k.startsWith('$'))).toEqual([]);
          expect(JSON.stringify(record)).not.toMatch(/\$oid|"_id"|"__v"/);
        }
        expect(records[0]?.id).toBe('a1');
      });

      it('refuses a duplicate id with a ConflictError and keeps the first record', async () => {
        await store.applications.insert(app('a1', 'u1', 'first'));
        const second = store.applications.insert(app('a1', 'u2', 'second'));
        await expect(second).rejects.toBeInstanceOf(ConflictError);
        await expect(second).rejects.toMatchObject({ code: 'RECORD_EXISTS' });
        expect(await store.applications.get('a1')).toMatchObject({ ownerId: 'u1', application_name: 'first' });
      });

      it('updates to version + 1 and replaces the whole record (removed fields are gone)', async () => {
        const first = await store.instances.insert(instance('s1', 0, 'c1'));
        const { clusterId: _dropped, ...withoutCluster } = first;
        const updated = await store.instances.update({
          ...withoutCluster,
          status: 'RUNNING',
          history: [...first.history, { status: 'RUNNING', at: '2024-01-01T00:00:01.000Z' }],
        });
        expect(updated.version).toBe(2);
        expect(updated.createdAt).toBe(first.createdAt);
        expect(updated.updatedAt >= first.updatedAt).toBe(true);
        const stored = await store.instances.get('s1:0');
        expect(stored).toEqual(updated);
        expect(stored).not.toHaveProperty('clusterId');
        expect(stored?.history.map((x) => x.status)).toEqual(['REQUESTED', 'RUNNING']);
        expect(await store.instances.find({ clusterId: 'c1' })).toEqual([]);
      });

      it('refuses a stale update with a 409 StaleVersionError and keeps the newer record', async () => {
        const v1 = await store.applications.insert(app('a1'));
        await store.applications.update({ ...v1, application_desc: 'second writer' });
        const stale = store.applications.update({ ...v1, application_desc: 'first writer, too late' });
        await expect(stale).rejects.toBeInstanceOf(StaleVersionError);
        await expect(stale).rejects.toMatchObject({ code: 'STALE_VERSION' });
        expect(await store.applications.get('a1')).toMatchObject({ version: 2, application_desc: 'second writer' });
      });

      it('refuses an update of a record that does not exist (or was deleted)', async () => {
        const v1 = await store.applications.insert(app('a1'));
        await store.applications.delete('a1');
        await expect(store.applications.update(v1)).rejects.toBeInstanceOf(StaleVersionError);
        expect(await store.applications.get('a1')).toBeUndefined();
      });

      it('deletes once: true, then false, and the record is gone from get and find', async () => {
        await store.applications.insert(app('a1'));
        await store.applications.insert(app('a2'));
        expect(await store.applications.delete('a1')).toBe(true);
        expect(await store.applications.delete('a1')).toBe(false);
        expect(await store.applications.get('a1')).toBeUndefined();
        expect((await store.applications.find()).map((a) => a.id)).toEqual(['a2']);
      });

      it('keeps the collections apart', async () => {
        await store.applications.insert(app('x'));
        await store.services.insert(service('x', 'x'));
        expect(await store.applications.get('x')).toMatchObject({ application_name: 'x' });
        expect(await store.services.get('x')).toMatchObject({ jobName: 'a.ns.x.ns' });
        expect(await store.clusters.get('x')).toBeUndefined();
      });
    });

    describe('API tokens', () => {
      it('stores a token record, finds it by id and by user, and forgets it on delete (revocation)', async () => {
        const never = await store.apiTokens.insert(apiToken('0123456789abcdef'));
        const expiring = await store.apiTokens.insert(apiToken('fedcba9876543210', 'sa1', '2030-01-01T00:00:00.000Z'));
        await store.apiTokens.insert(apiToken('00000000000000aa', 'sa2'));
        expect(never).toEqual({ ...apiToken('0123456789abcdef'), ...STORED, version: 1 });
        expect(await store.apiTokens.get('0123456789abcdef')).toEqual(never);
        expect(await store.apiTokens.get('0123456789abcdef')).not.toHaveProperty('expiresAt');
        expect(await store.apiTokens.get('fedcba9876543210')).toEqual(expiring);
        expect((await store.apiTokens.find({ userId: 'sa1' })).map((t) => t.id)).toEqual([
          '0123456789abcdef',
          'fedcba9876543210',
        ]);
        await expect(store.apiTokens.insert(apiToken('0123456789abcdef', 'sa9'))).rejects.toBeInstanceOf(ConflictError);
        expect(await store.apiTokens.delete('0123456789abcdef')).toBe(true);
        expect(await store.apiTokens.get('0123456789abcdef')).toBeUndefined();
        expect(await store.apiTokens.delete('0123456789abcdef')).toBe(false);
        expect((await store.apiTokens.find()).map((t) => t.id)).toEqual(['fedcba9876543210', '00000000000000aa']);
        // Separate from the users collection even with the same id.
        expect(await store.users.get('fedcba9876543210')).toBeUndefined();
      });

      it('keeps tokens across a reopen, and a revoked one stays revoked', async () => {
        await store.apiTokens.insert(apiToken('1111111111111111'));
        await store.apiTokens.insert(apiToken('2222222222222222'));
        await store.apiTokens.delete('1111111111111111');
        store = await h.reopen();
        expect(await store.apiTokens.get('1111111111111111')).toBeUndefined();
        expect(await store.apiTokens.get('2222222222222222')).toMatchObject({
          secretHash: 'ab'.repeat(32),
          userId: 'sa1',
        });
      });
    });

    describe('find', () => {
      it('matches equality on one or more top-level fields, in insertion order', async () => {
        for (const [id, owner] of [
          ['a3', 'u1'],
          ['a1', 'u2'],
          ['a2', 'u1'],
          ['a0', 'u1'],
        ] as const) {
          await store.applications.insert(app(id, owner));
        }
        expect((await store.applications.find()).map((a) => a.id)).toEqual(['a3', 'a1', 'a2', 'a0']);
        expect((await store.applications.find({ ownerId: 'u1' })).map((a) => a.id)).toEqual(['a3', 'a2', 'a0']);
        expect((await store.applications.find({ ownerId: 'u1', application_name: 'a2' })).map((a) => a.id)).toEqual([
          'a2',
        ]);
        expect(await store.applications.find({ ownerId: 'nobody' })).toEqual([]);
        // An undefined value is no condition at all.
        expect(await store.applications.find({ ownerId: undefined })).toHaveLength(4);
      });

      it('keeps insertion order after updates and matches numbers and strings by type', async () => {
        await store.instances.insert(instance('s1', 0, 'c1'));
        await store.instances.insert(instance('s1', 1, 'c2'));
        await store.instances.insert(instance('s2', 0, 'c1'));
        const first = await store.instances.get('s1:0');
        if (!first) {
          throw new Error('missing');
        }
        await store.instances.update({ ...first, desired: 'deleted' });
        expect((await store.instances.find({ serviceId: 's1' })).map((i) => i.id)).toEqual(['s1:0', 's1:1']);
        expect((await store.instances.find({ clusterId: 'c1', desired: 'running' })).map((i) => i.id)).toEqual([
          's2:0',
        ]);
        expect((await store.instances.find({ instanceNumber: 1 })).map((i) => i.id)).toEqual(['s1:1']);
        expect(await store.instances.find({ serviceId: '$ne' })).toEqual([]);
      });
    });

    describe('transactions', () => {
      it('commits an application together with its services', async () => {
        const result = await store.transaction(async () => {
          await store.services.insert(service('s1', 'a1'));
          await store.services.insert(service('s2', 'a1'));
          return store.applications.insert(app('a1', 'u1', 'a1', ['s1', 's2']));
        });
        expect(result.id).toBe('a1');
        expect((await store.services.find({ applicationId: 'a1' })).map((s) => s.id)).toEqual(['s1', 's2']);
        expect(await store.applications.get('a1')).toMatchObject({ microservices: ['s1', 's2'] });
      });

      it('leaves no half-written state when the work fails midway (insert, update and delete undone)', async () => {
        await store.applications.insert(app('keep'));
        const kept = await store.services.insert(service('old', 'keep'));
        await store.services.insert(service('doomed', 'keep'));
        const before = {
          apps: await store.applications.find(),
          services: await store.services.find(),
        };
        await expect(
          store.transaction(async () => {
            await store.services.insert(service('s1', 'a1'));
            await store.services.insert(service('s2', 'a1'));
            await store.applications.insert(app('a1', 'u1', 'a1', ['s1', 's2']));
            await store.services.update({ ...kept, replicas: 9 });
            await store.services.delete('doomed');
            // e.g. the third service's name clashes
            await store.applications.insert(app('keep'));
          }),
        ).rejects.toBeInstanceOf(ConflictError);
        expect(await store.applications.find()).toEqual(before.apps);
        expect(await store.services.find()).toEqual(before.services);
        expect(await store.services.get('old')).toMatchObject({ version: 1, replicas: 2 });
      });

      it('undoes a cascade delete that fails before the application goes', async () => {
        await store.services.insert(service('s1', 'a1'));
        await store.services.insert(service('s2', 'a1'));
        await store.applications.insert(app('a1', 'u1', 'a1', ['s1', 's2']));
        await expect(
          store.transaction(async () => {
            await store.services.delete('s1');
            await store.services.delete('s2');
            throw new Error('cluster unreachable');
          }),
        ).rejects.toThrow('cluster unreachable');
        expect((await store.services.find({ applicationId: 'a1' })).map((s) => s.id).sort()).toEqual(['s1', 's2']);
        expect(await store.applications.get('a1')).toBeDefined();
      });

      it('a nested transaction joins the outer one and rolls back with it', async () => {
        await expect(
          store.transaction(async () => {
            await store.applications.insert(app('outer'));
            await store.transaction(async () => {
              await store.applications.insert(app('inner'));
            });
            throw new Error('outer fails');
          }),
        ).rejects.toThrow('outer fails');
        expect(await store.applications.find()).toEqual([]);
      });

      it('keeps a write made outside a running transaction when that transaction rolls back', async () => {
        let release!: () => void;
        const held = new Promise<void>((r) => (release = r));
        const tx = store.transaction(async () => {
          await store.applications.insert(app('in'));
          await held;
          throw new Error('rollback');
        });
        const outside = store.applications.insert(app('out'));
        release();
        await expect(tx).rejects.toThrow('rollback');
        await outside;
        expect((await store.applications.find()).map((a) => a.id)).toEqual(['out']);
      });

      it('serializes check-then-insert transactions: one unique name, however many try at once', async () => {
        const attempts = Array.from({ length: 8 }, (_, i) =>
          store.transaction(async () => {
            const clash = await store.applications.find({ ownerId: 'u1', application_name: 'web' });
            if (clash.length > 0) {
              throw new ConflictError('application web already exists');
            }
            await new Promise((r) => setTimeout(r, 2));
            return store.applications.insert(app(`a${i}`, 'u1', 'web'));
          }),
        );
        const results = await Promise.allSettled(attempts);
        expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
        for (const r of results) {
          if (r.status === 'rejected') {
            expect(r.reason).toBeInstanceOf(ConflictError);
          }
        }
        expect(await store.applications.find({ application_name: 'web' })).toHaveLength(1);
      });
    });

    describe('concurrency', () => {
      it('two updates from the same version: exactly one wins, the other is stale', async () => {
        const v1 = await store.services.insert(service('s1', 'a1'));
        const results = await Promise.allSettled([
          store.services.update({ ...v1, replicas: 3 }),
          store.services.update({ ...v1, replicas: 5 }),
        ]);
        const won = results.filter((r) => r.status === 'fulfilled');
        const lost = results.filter((r) => r.status === 'rejected');
        expect(won).toHaveLength(1);
        expect(lost).toHaveLength(1);
        expect((lost[0] as PromiseRejectedResult).reason).toBeInstanceOf(StaleVersionError);
        const stored = await store.services.get('s1');
        expect(stored?.version).toBe(2);
        expect(stored?.replicas).toBe((won[0] as PromiseFulfilledResult<ServiceRecord>).value.replicas);
      });

      it('twenty concurrent writers from one version: one wins; retrying from a fresh read converges', async () => {
        const v1 = await store.services.insert(service('s1', 'a1'));
        const first = await Promise.allSettled(
          Array.from({ length: 20 }, (_, i) => store.services.update({ ...v1, nextInstance: i + 1 })),
        );
        expect(first.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
        // Each writer retries read-modify-write until it lands: no increment is lost.
        const increments = Array.from({ length: 10 }, async () => {
          for (;;) {
            const current = await store.services.get('s1');
            if (!current) {
              throw new Error('missing');
            }
            try {
              return await store.services.update({ ...current, replicas: current.replicas + 1 });
            } catch (error) {
              if (!(error instanceof StaleVersionError)) {
                throw error;
              }
            }
          }
        });
        await Promise.all(increments);
        expect(await store.services.get('s1')).toMatchObject({ version: 12, replicas: 12 });
      });
    });

    describe('durability', () => {
      it('keeps every committed write across a close and reopen, and nothing rolled back', async () => {
        await store.transaction(async () => {
          await store.services.insert(service('s1', 'a1'));
          await store.applications.insert(app('a1', 'u1', 'a1', ['s1']));
        });
        const inst = await store.instances.insert(instance('s1', 0, 'c1'));
        await store.instances.update({ ...inst, status: 'RUNNING' });
        await store.applications.insert(app('gone'));
        await store.applications.delete('gone');
        await store
          .transaction(async () => {
            await store.applications.insert(app('rolledback'));
            throw new Error('no');
          })
          .catch(() => undefined);

        store = await h.reopen();
        expect((await store.applications.find()).map((a) => a.id)).toEqual(['a1']);
        expect(await store.services.get('s1')).toEqual({ ...service('s1', 'a1'), ...STORED, version: 1 });
        expect(await store.instances.get('s1:0')).toMatchObject({ status: 'RUNNING', version: 2 });
        // Still writable, versions continue.
        const again = await store.applications.get('a1');
        if (!again) {
          throw new Error('missing');
        }
        expect((await store.applications.update(again)).version).toBe(2);
      });
    });
  });
}
