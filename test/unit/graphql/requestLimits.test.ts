import { buildSchema, parse, validate, type GraphQLError } from 'graphql';
import { describe, expect, it } from 'vitest';
import { QUERY_LIMITS } from '../../../src/domain/shared/limits.ts';
import { ingestionFieldsRule, nestsDeeperThan, variableListsError } from '../../../src/graphql/requestLimits.ts';

describe('nestsDeeperThan: the nesting of a document, read from its text before parsing', () => {
  it('counts braces, brackets and parentheses together', () => {
    expect(nestsDeeperThan('{ a(x: [{ b: 1 }]) { c } }', 5)).toBe(false);
    expect(nestsDeeperThan('{ a(x: [{ b: 1 }]) { c } }', 4)).toBe(false);
    expect(nestsDeeperThan('{ a(x: [{ b: 1 }]) { c } }', 3)).toBe(true);
  });

  it('skips what is inside strings, block strings and comments', () => {
    const deep = '{'.repeat(100);
    expect(nestsDeeperThan(`{ a(x: "${deep}") }`, 2)).toBe(false);
    expect(nestsDeeperThan(`{ a(x: "escaped \\" ${deep}") }`, 2)).toBe(false);
    expect(nestsDeeperThan(`{ a(x: """${deep} \\""" ${deep}""") }`, 2)).toBe(false);
    expect(nestsDeeperThan(`# ${deep}\n{ a }`, 1)).toBe(false);
    // …and counts again after them.
    expect(nestsDeeperThan(`{ a(x: "${deep}") { b { c } } }`, 2)).toBe(true);
  });

  it('finds a 10,000-deep query, fragment nesting or literal in one pass', () => {
    const n = 10_000;
    for (const document of [
      `{ ${'a { '.repeat(n)}b${' }'.repeat(n)} }`,
      `{ ${'... on Query { '.repeat(n)}a${' }'.repeat(n)} }`,
      `mutation { m(x: ${'['.repeat(n)}${']'.repeat(n)}) }`,
    ]) {
      expect(nestsDeeperThan(document, QUERY_LIMITS.nesting)).toBe(true);
    }
  });
});

describe('ingestionFieldsRule: at most one ingestion field per operation', () => {
  const schema = buildSchema('type Query { a: Int } type Mutation { createEvent(x: Int): Int createEvents(x: Int): Int other: Int }');
  /** The error the rule throws for `document`, or null when it passes. */
  const refusal = (document: string): GraphQLError | null => {
    try {
      validate(schema, parse(document), [ingestionFieldsRule]);
      return null;
    } catch (error) {
      return error as GraphQLError;
    }
  };

  it('lets one ingestion field through, beside other fields', () => {
    expect(refusal('mutation { createEvents(x: 1) other }')).toBeNull();
    expect(refusal('mutation { createEvent(x: 1) }')).toBeNull();
    // Each operation of a document is counted on its own.
    expect(refusal('mutation A { createEvents(x: 1) } mutation B { createEvents(x: 2) }')).toBeNull();
  });

  it('refuses two, with aliases, through fragments and inline fragments', () => {
    for (const document of [
      'mutation { a: createEvents(x: 1) b: createEvents(x: 1) }',
      'mutation { createEvent(x: 1) createEvents(x: 2) }',
      'mutation { createEvents(x: 1) ... on Mutation { again: createEvents(x: 1) } }',
      'mutation { ...F createEvent(x: 3) } fragment F on Mutation { createEvents(x: 1) }',
    ]) {
      expect(refusal(document)?.extensions.code, document).toBe('QUERY_TOO_COMPLEX');
    }
  });

  it('survives a fragment that spreads itself (the spec rule reports the cycle)', () => {
    expect(refusal('mutation { ...F } fragment F on Mutation { createEvents(x: 1) ...F }')).toBeNull();
  });
});

describe('variableListsError: list lengths of the raw variables, following their types', () => {
  const schema = buildSchema(`
    scalar JSON
    input Event { id: String properties: JSON tags: [String!] }
    input Charge { taxCodes: [String!] }
    type Query { a: Int }
    type Mutation { ingest(events: [Event!]!): Int plan(charges: [Charge!], codes: [String!]): Int }
  `);
  const INGEST = parse('mutation($events: [Event!]!) { ingest(events: $events) }');
  const PLAN = parse('mutation($charges: [Charge!], $codes: [String!]) { plan(charges: $charges, codes: $codes) }');
  const many = (n: number, item: unknown) => Array.from({ length: n }, () => item);

  it('lets lists up to the cap through, JSON values not walked', () => {
    const events = many(QUERY_LIMITS.listItems, { id: 'e', properties: { huge: many(50_000, 1) } });
    expect(variableListsError(schema, INGEST, undefined, { events })).toBeNull();
  });

  it('names the first list past the per-list cap', () => {
    const error = variableListsError(schema, INGEST, undefined, { events: many(QUERY_LIMITS.listItems + 1, { id: 'e' }) });
    expect(error).toMatchObject({ code: 'VALIDATION', field: 'variables.events' });
    const nested = variableListsError(schema, INGEST, undefined, { events: [{ id: 'e' }, { tags: many(QUERY_LIMITS.listItems + 1, 't') }] });
    expect(nested?.field).toBe('variables.events.1.tags');
  });

  it('refuses lists that pass the cap together', () => {
    const charges = many(Math.ceil(QUERY_LIMITS.listItemsTotal / QUERY_LIMITS.listItems) + 1, { taxCodes: many(QUERY_LIMITS.listItems, 'vat') });
    const error = variableListsError(schema, PLAN, undefined, { charges, codes: [] });
    expect(error?.code).toBe('VALIDATION');
    expect(error?.message).toContain('list items in all');
  });

  it('ignores variables the operation does not declare, and no variables at all', () => {
    expect(variableListsError(schema, PLAN, undefined, { other: many(QUERY_LIMITS.listItems + 1, 1) })).toBeNull();
    expect(variableListsError(schema, PLAN, undefined, undefined)).toBeNull();
  });
});
