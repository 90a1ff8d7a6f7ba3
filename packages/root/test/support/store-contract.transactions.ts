import { ConflictError, StaleVersionError } from '@canopy/schema';
import type { ServiceRecord } from '../../src/persistence/records';

import { app, instance, service, STORED, type ContractState } from './store-records';

/** All or nothing, nested joins, serialized check-then-insert. */
export function transactions(s: ContractState): void {
  describe('transactions', () => {
    it('commits an application together with its services', async () => {
      const result = await s.store.transaction(async () => {
        await s.store.services.insert(service('s1', 'a1'));
        await s.store.services.insert(service('s2', 'a1'));
        return s.store.applications.insert(app('a1', 'u1', 'a1', ['s1', 's2']));
      });
      expect(result.id).toBe('a1');
      expect((await s.store.services.find({ applicationId: 'a1' })).map((s) => s.id)).toEqual(['s1', 's2']);
      expect(await s.store.applications.get('a1')).toMatchObject({ microservices: ['s1', 's2'] });
    });

    it('leaves no half-written state when the work fails midway (insert, update and delete undone)', async () => {
      await s.store.applications.insert(app('keep'));
      const kept = await s.store.services.insert(service('old', 'keep'));
      await s.store.services.insert(service('doomed', 'keep'));
      const before = {
        apps: await s.store.applications.find(),
        services: await s.store.services.find(),
      };
      await expect(
        s.store.transaction(async () => {
          await s.store.services.insert(service('s1', 'a1'));
          await s.store.services.insert(service('s2', 'a1'));
          await s.store.applications.insert(app('a1', 'u1', 'a1', ['s1', 's2']));
          await s.store.services.update({ ...kept, replicas: 9 });
          await s.store.services.delete('doomed');
          // e.g. the third service's name clashes
          await s.store.applications.insert(app('keep'));
        }),
      ).rejects.toBeInstanceOf(ConflictError);
      expect(await s.store.applications.find()).toEqual(before.apps);
      expect(await s.store.services.find()).toEqual(before.services);
      expect(await s.store.services.get('old')).toMatchObject({ version: 1, replicas: 2 });
    });

    it('undoes a cascade delete that fails before the application goes', async () => {
      await s.store.services.insert(service('s1', 'a1'));
      await s.store.services.insert(service('s2', 'a1'));
      await s.store.applications.insert(app('a1', 'u1', 'a1', ['s1', 's2']));
      await expect(
        s.store.transaction(async () => {
          await s.store.services.delete('s1');
          await s.store.services.delete('s2');
          throw new Error('cluster unreachable');
        }),
      ).rejects.toThrow('cluster unreachable');
      expect((await s.store.services.find({ applicationId: 'a1' })).map((s) => s.id).sort()).toEqual(['s1', 's2']);
      expect(await s.store.applications.get('a1')).toBeDefined();
    });

    it('a nested transaction joins the outer one and rolls back with it', async () => {
      await expect(
        s.store.transaction(async () => {
          await s.store.applications.insert(app('outer'));
          await s.store.transaction(async () => {
            await s.store.applications.insert(app('inner'));
          });
          throw new Error('outer fails');
        }),
      ).rejects.toThrow('outer fails');
      expect(await s.store.applications.find()).toEqual([]);
    });

    it('keeps a write made outside a running transaction when that transaction rolls back', async () => {
      let release!: () => void;
      const held = new Promise<void>((r) => (release = r));
      const tx = s.store.transaction(async () => {
        await s.store.applications.insert(app('in'));
        await held;
        throw new Error('rollback');
      });
      const outside = s.store.applications.insert(app('out'));
      release();
      await expect(tx).rejects.toThrow('rollback');
      await outside;
      expect((await s.store.applications.find()).map((a) => a.id)).toEqual(['out']);
    });

    it('serializes check-then-insert transactions: one unique name, however many try at once', async () => {
      const attempts = Array.from({ length: 8 }, (_, i) =>
        s.store.transaction(async () => {
          const clash = await s.store.applications.find({ ownerId: 'u1', application_name: 'web' });
          if (clash.length > 0) {
            throw new ConflictError('application web already exists');
          }
          await new Promise((r) => setTimeout(r, 2));
          return s.store.applications.insert(app(`a${i}`, 'u1', 'web'));
        }),
      );
      const results = await Promise.allSettled(attempts);
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      for (const r of results) {
        if (r.status === 'rejected') {
          expect(r.reason).toBeInstanceOf(ConflictError);
        }
      }
      expect(await s.store.applications.find({ application_name: 'web' })).toHaveLength(1);
    });
  });
}

/** Optimistic versions under concurrent writers. */
export function concurrency(s: ContractState): void {
  describe('concurrency', () => {
    it('two updates from the same version: exactly one wins, the other is stale', async () => {
      const v1 = await s.store.services.insert(service('s1', 'a1'));
      const results = await Promise.allSettled([
        s.store.services.update({ ...v1, replicas: 3 }),
        s.store.services.update({ ...v1, replicas: 5 }),
      ]);
      const won = results.filter((r) => r.status === 'fulfilled');
      const lost = results.filter((r) => r.status === 'rejected');
      expect(won).toHaveLength(1);
      expect(lost).toHaveLength(1);
      expect((lost[0] as PromiseRejectedResult).reason).toBeInstanceOf(StaleVersionError);
      const stored = await s.store.services.get('s1');
      expect(stored?.version).toBe(2);
      expect(stored?.replicas).toBe((won[0] as PromiseFulfilledResult<ServiceRecord>).value.replicas);
    });

    it('twenty concurrent writers from one version: one wins; retrying from a fresh read converges', async () => {
      const v1 = await s.store.services.insert(service('s1', 'a1'));
      const first = await Promise.allSettled(
        Array.from({ length: 20 }, (_, i) => s.store.services.update({ ...v1, nextInstance: i + 1 })),
      );
      expect(first.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      // Each writer retries read-modify-write until it lands: no increment is lost.
      const increments = Array.from({ length: 10 }, async () => {
        for (;;) {
          const current = await s.store.services.get('s1');
          if (!current) {
            throw new Error('missing');
          }
          try {
            return await s.store.services.update({ ...current, replicas: current.replicas + 1 });
          } catch (error) {
            if (!(error instanceof StaleVersionError)) {
              throw error;
            }
          }
        }
      });
      await Promise.all(increments);
      expect(await s.store.services.get('s1')).toMatchObject({ version: 12, replicas: 12 });
    });
  });
}

/** What was committed survives a reopen; what was rolled back does not. */
export function durability(s: ContractState): void {
  describe('durability', () => {
    it('keeps every committed write across a close and reopen, and nothing rolled back', async () => {
      await s.store.transaction(async () => {
        await s.store.services.insert(service('s1', 'a1'));
        await s.store.applications.insert(app('a1', 'u1', 'a1', ['s1']));
      });
      const inst = await s.store.instances.insert(instance('s1', 0, 'c1'));
      await s.store.instances.update({ ...inst, status: 'RUNNING' });
      await s.store.applications.insert(app('gone'));
      await s.store.applications.delete('gone');
      await s.store
        .transaction(async () => {
          await s.store.applications.insert(app('rolledback'));
          throw new Error('no');
        })
        .catch(() => undefined);

      s.store = await s.h.reopen();
      expect((await s.store.applications.find()).map((a) => a.id)).toEqual(['a1']);
      expect(await s.store.services.get('s1')).toEqual({ ...service('s1', 'a1'), ...STORED, version: 1 });
      expect(await s.store.instances.get('s1:0')).toMatchObject({ status: 'RUNNING', version: 2 });
      // Still writable, versions continue.
      const again = await s.store.applications.get('a1');
      if (!again) {
        throw new Error('missing');
      }
      expect((await s.store.applications.update(again)).version).toBe(2);
    });
  });
}
