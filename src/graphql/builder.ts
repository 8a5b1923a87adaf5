import SchemaBuilder from '@pothos/core';
import { GraphQLError, Kind, type ValueNode } from 'graphql';
import type { App } from '../application/app.ts';
import type { Principal } from '../application/organizations.ts';
import type { Loaders } from './loaders.ts';

/** Per-request context, shared by HTTP and websockets (both go through Yoga's envelop). */
export interface GraphQLContext {
  app: App;
  principal: Principal;
  correlationId: string;
  loaders: Loaders;
  /** The HTTP request (Yoga's initial context); its signal aborts when the client goes away. Absent on websockets. */
  request?: Request;
}

export const builder = new SchemaBuilder<{
  Context: GraphQLContext;
  DefaultFieldNullability: false;
  DefaultInputFieldRequiredness: false;
  Scalars: {
    DateTime: { Input: Date; Output: string | Date };
    JSON: { Input: unknown; Output: unknown };
    Timestamp: { Input: unknown; Output: string };
  };
}>({ defaultFieldNullability: false });

function parseDateTime(value: unknown): Date {
  if (typeof value !== 'string') throw new GraphQLError('DateTime must be an ISO-8601 string', { extensions: { code: 'VALIDATION' } });
  const date = new Date(value);
  if (Number.isNaN(date.getTime()) || !/^\d{4}-\d{2}-\d{2}/.test(value)) {
    throw new GraphQLError(`"${value}" is not an ISO-8601 date-time`, { extensions: { code: 'VALIDATION' } });
  }
  return date;
}

builder.scalarType('DateTime', {
  description: 'An instant, ISO-8601 in UTC (e.g. 2026-03-01T00:00:00.000Z).',
  serialize: (value) => (value instanceof Date ? value.toISOString() : String(value)),
  parseValue: parseDateTime,
  parseLiteral: (ast: ValueNode) => parseDateTime(ast.kind === Kind.STRING ? ast.value : null),
});

function literalToJson(ast: ValueNode): unknown {
  switch (ast.kind) {
    case Kind.STRING:
    case Kind.BOOLEAN:
      return ast.value;
    case Kind.INT:
    case Kind.FLOAT:
      // Kept as the literal's text so no precision is lost on large or decimal values.
      return ast.value;
    case Kind.OBJECT:
      return Object.fromEntries(ast.fields.map((field) => [field.name.value, literalToJson(field.value)]));
    case Kind.LIST:
      return ast.values.map(literalToJson);
    case Kind.NULL:
      return null;
    default:
      throw new GraphQLError('JSON literal cannot contain variables', { extensions: { code: 'VALIDATION' } });
  }
}

builder.scalarType('JSON', {
  description: 'Arbitrary JSON.',
  serialize: (value) => value,
  parseValue: (value) => value,
  parseLiteral: literalToJson,
});

builder.scalarType('Timestamp', {
  description:
    'A usage event time: Unix seconds (number or string, fractional allowed) or ISO-8601. Checked per event at ingestion, so one bad value rejects only its own event.',
  serialize: (value) => String(value),
  parseValue: (value) => value,
  parseLiteral: (ast: ValueNode) => (ast.kind === Kind.STRING || ast.kind === Kind.INT || ast.kind === Kind.FLOAT ? ast.value : null),
});

builder.queryType({});
builder.mutationType({});
builder.subscriptionType({});
