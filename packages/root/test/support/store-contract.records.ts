import { ConflictError, StaleVersionError } from '@canopy/schema';

import { apiToken, app, instance, service, STORED, type ContractState } from './store-records';

/** Insert, get, update with versions, delete, and collections kept apart. */
export function singleRecords(s: ContractState): void {
  describe('single records', () => {
    it('inserts at version 1 with timestamps and gets the same plain record back', async () => {
      const inserted = await s.store.services.insert(service('s1', 'a1'));
      expect(inserted).toEqual({ ...service('s1', 'a1'), ...STORED, version: 1 });
      expect(inserted.createdAt).toBe(inserted.updatedAt);
      expect(new Date(inserted.createdAt).toISOString()).toBe(inserted.createdAt);
      expect(await s.store.services.get('s1')).toEqual(inserted);
      expect(await s.store.services.get('nope')).toBeUndefined();
    });

    it('returns string ids and nothing storage-specific (no _id, $oid, __v)', async () => {
      await s.store.applications.insert(app('a1'));
      await s.store.instances.insert(instance('s1', 0, 'c1'));
      const records = [
        await s.store.applications.get('a1'),
        ...(await s.store.applications.find()),
        await s.store.instances.get('s1:0'),
        ...(await s.store.instances.find({ clusterId: 'c1' })),
      ];
      for (const record of records) {
        expect(typeof record?.id).toBe('string');
        expect(Object.keys(record ?? {}).filter((k) => k.startsWith('_') || k.startsWith('$'))).toEqual([]);
        expect(JSON.stringify(record)).not.toMatch(/\$oid|"_id"|"__v"/);
      }
      expect(records[0]?.id).toBe('a1');
    });

    it('refuses a duplicate id with a ConflictError and keeps the first record', async () => {
      await s.store.applications.insert(app('a1', 'u1', 'first'));
      const second = s.store.applications.insert(app('a1', 'u2', 'second'));
      await expect(second).rejects.toBeInstanceOf(ConflictError);
      await expect(second).rejects.toMatchObject({ code: 'RECORD_EXISTS' });
      expect(await s.store.applications.get('a1')).toMatchObject({ ownerId: 'u1', application_name: 'first' });
    });

    it('updates to version + 1 and replaces the whole record (removed fields are gone)', async () => {
      const first = await s.store.instances.insert(instance('s1', 0, 'c1'));
      const { clusterId: _dropped, ...withoutCluster } = first;
      const updated = await s.store.instances.update({
        ...withoutCluster,
        status: 'RUNNING',
        history: [...first.history, { status: 'RUNNING', at: '2024-01-01T00:00:01.000Z' }],
      });
      expect(updated.version).toBe(2);
      expect(updated.createdAt).toBe(first.createdAt);
      expect(updated.updatedAt >= first.updatedAt).toBe(true);
      const stored = await s.store.instances.get('s1:0');
      expect(stored).toEqual(updated);
      expect(stored).not.toHaveProperty('clusterId');
      expect(stored?.history.map((x) => x.status)).toEqual(['REQUESTED', 'RUNNING']);
      expect(await s.store.instances.find({ clusterId: 'c1' })).toEqual([]);
    });

    it('refuses a stale update with a 409 StaleVersionError and keeps the newer record', async () => {
      const v1 = await s.store.applications.insert(app('a1'));
      await s.store.applications.update({ ...v1, application_desc: 'second writer' });
      const stale = s.store.applications.update({ ...v1, application_desc: 'first writer, too late' });
      await expect(stale).rejects.toBeInstanceOf(StaleVersionError);
      await expect(stale).rejects.toMatchObject({ code: 'STALE_VERSION' });
      expect(await s.store.applications.get('a1')).toMatchObject({ version: 2, application_desc: 'second writer' });
    });

    it('refuses an update of a record that does not exist (or was deleted)', async () => {
      const v1 = await s.store.applications.insert(app('a1'));
      await s.store.applications.delete('a1');
      await expect(s.store.applications.update(v1)).rejects.toBeInstanceOf(StaleVersionError);
      expect(await s.store.applications.get('a1')).toBeUndefined();
    });

    it('deletes once: true, then false, and the record is gone from get and find', async () => {
      await s.store.applications.insert(app('a1'));
      await s.store.applications.insert(app('a2'));
      expect(await s.store.applications.delete('a1')).toBe(true);
      expect(await s.store.applications.delete('a1')).toBe(false);
      expect(await s.store.applications.get('a1')).toBeUndefined();
      expect((await s.store.applications.find()).map((a) => a.id)).toEqual(['a2']);
    });

    it('keeps the collections apart', async () => {
      await s.store.applications.insert(app('x'));
      await s.store.services.insert(service('x', 'x'));
      expect(await s.store.applications.get('x')).toMatchObject({ application_name: 'x' });
      expect(await s.store.services.get('x')).toMatchObject({ jobName: 'a.ns.x.ns' });
      expect(await s.store.clusters.get('x')).toBeUndefined();
    });
  });
}

/** API token records: by id, by user, revoked for good. */
export function apiTokens(s: ContractState): void {
  describe('API tokens', () => {
    it('stores a token record, finds it by id and by user, and forgets it on delete (revocation)', async () => {
      const never = await s.store.apiTokens.insert(apiToken('0123456789abcdef'));
      const expiring = await s.store.apiTokens.insert(apiToken('fedcba9876543210', 'sa1', '2030-01-01T00:00:00.000Z'));
      await s.store.apiTokens.insert(apiToken('00000000000000aa', 'sa2'));
      expect(never).toEqual({ ...apiToken('0123456789abcdef'), ...STORED, version: 1 });
      expect(await s.store.apiTokens.get('0123456789abcdef')).toEqual(never);
      expect(await s.store.apiTokens.get('0123456789abcdef')).not.toHaveProperty('expiresAt');
      expect(await s.store.apiTokens.get('fedcba9876543210')).toEqual(expiring);
      expect((await s.store.apiTokens.find({ userId: 'sa1' })).map((t) => t.id)).toEqual([
        '0123456789abcdef',
        'fedcba9876543210',
      ]);
      await expect(s.store.apiTokens.insert(apiToken('0123456789abcdef', 'sa9'))).rejects.toBeInstanceOf(ConflictError);
      expect(await s.store.apiTokens.delete('0123456789abcdef')).toBe(true);
      expect(await s.store.apiTokens.get('0123456789abcdef')).toBeUndefined();
      expect(await s.store.apiTokens.delete('0123456789abcdef')).toBe(false);
      expect((await s.store.apiTokens.find()).map((t) => t.id)).toEqual(['fedcba9876543210', '00000000000000aa']);
      // Separate from the users collection even with the same id.
      expect(await s.store.users.get('fedcba9876543210')).toBeUndefined();
    });

    it('keeps tokens across a reopen, and a revoked one stays revoked', async () => {
      await s.store.apiTokens.insert(apiToken('1111111111111111'));
      await s.store.apiTokens.insert(apiToken('2222222222222222'));
      await s.store.apiTokens.delete('1111111111111111');
      s.store = await s.h.reopen();
      expect(await s.store.apiTokens.get('1111111111111111')).toBeUndefined();
      expect(await s.store.apiTokens.get('2222222222222222')).toMatchObject({
        secretHash: 'ab'.repeat(32),
        userId: 'sa1',
      });
    });
  });
}

/** Equality queries, in insertion order. */
export function finding(s: ContractState): void {
  describe('find', () => {
    it('matches equality on one or more top-level fields, in insertion order', async () => {
      for (const [id, owner] of [
        ['a3', 'u1'],
        ['a1', 'u2'],
        ['a2', 'u1'],
        ['a0', 'u1'],
      ] as const) {
        await s.store.applications.insert(app(id, owner));
      }
      expect((await s.store.applications.find()).map((a) => a.id)).toEqual(['a3', 'a1', 'a2', 'a0']);
      expect((await s.store.applications.find({ ownerId: 'u1' })).map((a) => a.id)).toEqual(['a3', 'a2', 'a0']);
      expect((await s.store.applications.find({ ownerId: 'u1', application_name: 'a2' })).map((a) => a.id)).toEqual([
        'a2',
      ]);
      expect(await s.store.applications.find({ ownerId: 'nobody' })).toEqual([]);
      // An undefined value is no condition at all.
      expect(await s.store.applications.find({ ownerId: undefined })).toHaveLength(4);
    });

    it('keeps insertion order after updates and matches numbers and strings by type', async () => {
      await s.store.instances.insert(instance('s1', 0, 'c1'));
      await s.store.instances.insert(instance('s1', 1, 'c2'));
      await s.store.instances.insert(instance('s2', 0, 'c1'));
      const first = await s.store.instances.get('s1:0');
      if (!first) {
        throw new Error('missing');
      }
      await s.store.instances.update({ ...first, desired: 'deleted' });
      expect((await s.store.instances.find({ serviceId: 's1' })).map((i) => i.id)).toEqual(['s1:0', 's1:1']);
      expect((await s.store.instances.find({ clusterId: 'c1', desired: 'running' })).map((i) => i.id)).toEqual([
        's2:0',
      ]);
      expect((await s.store.instances.find({ instanceNumber: 1 })).map((i) => i.id)).toEqual(['s1:1']);
      expect(await s.store.instances.find({ serviceId: '$ne' })).toEqual([]);
    });
  });
}
