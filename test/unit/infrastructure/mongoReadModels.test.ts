import { describe, expect, it } from 'vitest';
import { encodePosition, latestWrites, runsTransactions, toIndexDescription } from '../../../src/infrastructure/readModels/mongo.ts';

/** The MongoDB read-model store's pure parts (its contract suite needs a server: `npm run test:server`). */
describe('MongoDB read-model store, without a server', () => {
  it('encodes positions as 20-digit strings whose order is the numbers order, over the whole unsigned 64-bit range', () => {
    const positions = [0n, 9n, 10n, 123_456_789n, (1n << 63n) - 1n, 1n << 63n, (1n << 64n) - 1n];
    const encoded = positions.map(encodePosition);
    expect(encoded.every((value) => value.length === 20)).toBe(true);
    expect([...encoded].sort()).toEqual(encoded);
    expect(encoded.map((value) => BigInt(value))).toEqual(positions);
    expect(() => encodePosition(-1n)).toThrow(RangeError);
    expect(() => encodePosition(1n << 64n)).toThrow(RangeError);
  });

  it('runs only on deployments with transactions: a replica-set member or a mongos, not a standalone server', () => {
    expect(runsTransactions({ isWritablePrimary: true, setName: 'rs0' })).toBe(true);
    expect(runsTransactions({ isWritablePrimary: true, msg: 'isdbgrid' })).toBe(true);
    expect(runsTransactions({ isWritablePrimary: true })).toBe(false);
  });

  it('writes each document once per commit, its last write in batch order winning, grouped by collection', () => {
    const grouped = latestWrites([
      { collection: 'a', id: '1', doc: { _id: '1', v: 1 }, position: 1n },
      { collection: 'b', id: '1', doc: { _id: '1', v: 2 }, position: 2n },
      { collection: 'a', id: '1', doc: null, position: 3n },
      { collection: 'a', id: '2', doc: { _id: '2', v: 4 }, position: 4n },
    ]);
    expect([...grouped.keys()]).toEqual(['a', 'b']);
    expect(grouped.get('a')!.map((write) => [write.id, write.position, write.doc])).toEqual([
      ['1', 3n, null],
      ['2', 4n, { _id: '2', v: 4 }],
    ]);
    expect(grouped.get('b')!.map((write) => write.position)).toEqual([2n]);
  });

  it('declares every index partial on live documents, and unique ones on documents that have every key', () => {
    expect(toIndexDescription({ name: 'byOrganizationCreated', keys: { organizationId: 1, createdAt: 1, _id: 1 } })).toEqual({
      name: 'byOrganizationCreated',
      key: { organizationId: 1, createdAt: 1, _id: 1 },
      unique: false,
      partialFilterExpression: { _deleted: false },
    });
    expect(toIndexDescription({ name: 'byHash', keys: { keyHash: 1 }, unique: true })).toEqual({
      name: 'byHash',
      key: { keyHash: 1 },
      unique: true,
      partialFilterExpression: { _deleted: false, keyHash: { $exists: true } },
    });
  });
});
