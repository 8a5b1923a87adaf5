import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { printSortedSchema } from '../../src/graphql/schema.ts';

describe('schema.graphql', () => {
  it('matches the schema the code builds (run `npm run schema:print` after a change)', () => {
    const committed = readFileSync(new URL('../../schema.graphql', import.meta.url), 'utf8');
    expect(printSortedSchema()).toBe(committed);
  });
});
