import type { AppDeps } from './context.ts';
import type { NewEvent, RecordedEvent, StreamAppend } from './ports/eventStore.ts';
import { streamName } from '../domain/shared/streams.ts';

/**
 * The organization's numbers (README "Invoicing", §4.6): one counter stream per organization holds every number
 * given — customers' `sequentialId`, invoices' per-customer and per-organization sequences. A number is taken by
 * appending its event in the same atomic append as what it numbers, conditioned on the counter's revision: two
 * takers never get the same one (the second one's append fails and it draws again).
 */
export const numberingStream = (organizationId: string) => streamName('numbering', organizationId);

export type InvoiceNumberAssigned = { organizationId: string; invoiceId: string; customerId: string; sequentialId: number; organizationSequentialId: number };
export type CustomerNumberAssigned = { organizationId: string; customerId: string; sequentialId: number };

export type Numbers = {
  /** The counter stream's revision these numbers were read at (null: no number given yet). */
  revision: bigint | null;
  customers: number;
  organizationInvoices: number;
  /** Read-only: shared with the cache, which later reads move on. */
  invoicesPerCustomer: ReadonlyMap<string, number>;
};

export function createNumbering(deps: AppDeps) {
  const cache = new Map<string, Numbers & { invoicesPerCustomer: Map<string, number> }>();

  /** The organization's numbers, read on from where they were last read (the stream only grows). */
  async function read(organizationId: string): Promise<Numbers> {
    let numbers = cache.get(organizationId);
    if (numbers === undefined) {
      if (cache.size > 10_000) cache.clear();
      cache.set(organizationId, (numbers = { revision: null, customers: 0, organizationInvoices: 0, invoicesPerCustomer: new Map() }));
    }
    const events = await deps.eventStore.readStream(numberingStream(organizationId), numbers.revision === null ? {} : { fromRevision: numbers.revision + 1n });
    for (const event of events as RecordedEvent[]) {
      if (event.type === 'InvoiceNumberAssigned') {
        const data = event.data as InvoiceNumberAssigned;
        numbers.organizationInvoices = Math.max(numbers.organizationInvoices, data.organizationSequentialId);
        numbers.invoicesPerCustomer.set(data.customerId, Math.max(numbers.invoicesPerCustomer.get(data.customerId) ?? 0, data.sequentialId));
      } else if (event.type === 'CustomerNumberAssigned') {
        numbers.customers = Math.max(numbers.customers, (event.data as CustomerNumberAssigned).sequentialId);
      }
      numbers.revision = event.revision;
    }
    // The per-customer map is shared with the cache (read-only for callers): copying it for every number drawn cost
    // more than drawing it in an organization with thousands of customers.
    return { ...numbers };
  }

  /** The counter's part of an atomic append: `events`, conditioned on the revision `numbers` were read at. */
  function entry(organizationId: string, numbers: Numbers, events: NewEvent | readonly NewEvent[]): StreamAppend {
    return { streamId: numberingStream(organizationId), events: Array.isArray(events) ? [...events] : [events as NewEvent], expectedRevision: numbers.revision ?? 'no_stream' };
  }

  return { read, entry };
}

export type Numbering = ReturnType<typeof createNumbering>;
