import { apiTokens, finding, singleRecords } from './support/store-contract.records';
import { concurrency, durability, transactions } from './support/store-contract.transactions';
import type { ContractState, StoreHarness } from './support/store-records';

export type { StoreHarness } from './support/store-records';

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
    // Filled before each test; the sections read it when their tests run.
    const s = {} as ContractState;

    beforeEach(async () => {
      s.h = await open();
      s.store = s.h.store;
    });

    afterEach(async () => {
      await s.h.destroy();
    });

    singleRecords(s);
    apiTokens(s);
    finding(s);
    transactions(s);
    concurrency(s);
    durability(s);
  });
}
