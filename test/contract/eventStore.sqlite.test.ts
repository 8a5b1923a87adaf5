import { openDatabase } from '../../src/infrastructure/sqlite/database.ts';
import { createSqliteEventStore } from '../../src/infrastructure/eventStore/sqlite.ts';
import { eventStoreContract } from './eventStore.contract.ts';

eventStoreContract('embedded sqlite', async () => createSqliteEventStore(openDatabase(':memory:')));
