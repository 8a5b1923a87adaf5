import { openDatabase } from '../../src/infrastructure/sqlite/database.ts';
import { createSqliteReadModelStore } from '../../src/infrastructure/readModels/sqlite.ts';
import { readModelStoreContract } from './readModelStore.contract.ts';

readModelStoreContract('embedded sqlite (mingo)', async () => createSqliteReadModelStore(openDatabase(':memory:')));
