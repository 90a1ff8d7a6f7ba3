import { createConnection } from 'mongoose';
import { mongoCollection } from './mongo-collection';

/**
 * MongoDB cannot run on this machine, so the store contract's MongoDB run is skipped here; this
 * checks at least that the mongoose schemas declare the unique indexes the SQLite store has
 * (issue 10: three concurrent `POST /api/users` of one name created three users).
 */
describe('mongoose schemas of the MongoDB store', () => {
  const conn = createConnection();
  afterAll(() => conn.close());

  it.each([
    ['users', 'username'],
    ['organizations', 'name'],
  ] as const)('declare a unique index on %s.%s', (name, field) => {
    const { model } = mongoCollection(conn, name, () => Promise.resolve(undefined));
    expect(model.schema.indexes()).toContainEqual([{ [field]: 1 }, expect.objectContaining({ unique: true })]);
  });

  it('declare no other unique index (applications are unique per owner, checked in a transaction)', () => {
    const { model } = mongoCollection(conn, 'applications', () => Promise.resolve(undefined));
    expect(model.schema.indexes().filter(([, options]) => options.unique === true)).toEqual([]);
  });
});
