/** Prints the sorted schema to schema.graphql (`npm run schema:print`); a test fails when the file drifts. */
import { writeFileSync } from 'node:fs';
import { printSortedSchema } from '../src/graphql/schema.ts';

writeFileSync(new URL('../schema.graphql', import.meta.url), printSortedSchema());
console.log('schema.graphql written');
