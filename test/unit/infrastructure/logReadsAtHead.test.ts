import { DatabaseSync } from 'node:sqlite';
import { describe, expect, it } from 'vitest';
import { createSqliteEventStore } from '../../../src/infrastructure/eventStore/sqlite.ts';

/**
 * The log reader reads domain events and usage events with two statements; a reader on another connection (the
 * projection thread) can see a commit land between them. Both reads are cut at the head read before either, so an
 * event past it is never returned ahead of events before it that the first statement may not have seen: a domain
 * event committed between the two reads could otherwise be skipped for good (found by the billing benchmark).
 */
describe('the log reader', () => {
  it('returns nothing past the head it read first, from either table, so no page can skip over an event', async () => {
    const db = new DatabaseSync(':memory:');
    const store = createSqliteEventStore(db);
    const meta = { organizationId: 'o', recordedAt: '2026-12-01T00:00:00Z' };
    const first = await store.append('customer-o_c1', [{ type: 'CustomerCreated', data: { id: 'c1' }, metadata: meta }]);
    await store.append('invoice-o_s1', [{ type: 'InvoiceCreated', data: { id: 'i1' }, metadata: meta }]);
    const usage = await store.appendUsage({
      organizationId: 'o',
      metadata: meta,
      events: [{ transactionId: 't1', externalSubscriptionId: 's1', code: 'calls', timestamp: '2026-12-01T00:00:00.000Z', properties: {}, preciseTotalAmountCents: null }],
    });
    expect(usage[0]!.status).toBe('appended');
    const all = await store.readAll({});
    expect(all.map((e) => e.type)).toEqual(['CustomerCreated', 'InvoiceCreated', 'UsageEventIngested']);

    // As a reader sees it when its head read came before the later commits: only what the head covers, in order.
    db.prepare('UPDATE log_head SET position = ? WHERE id = 0').run(first.position);
    expect((await store.readAll({})).map((e) => e.type)).toEqual(['CustomerCreated']);
    expect(await store.readAll({ after: first.position })).toEqual([]);
    // Once the head covers them, they come in position order: the invoice before the usage batch.
    db.prepare('UPDATE log_head SET position = ? WHERE id = 0').run(all.at(-1)!.position);
    expect((await store.readAll({ after: first.position })).map((e) => e.type)).toEqual(['InvoiceCreated', 'UsageEventIngested']);
    await store.close();
  });
});
