import type { ObjectRef } from '@pothos/core';
import { z } from 'zod';
import type { Actor } from '../application/context.ts';
import { ValidationError } from '../domain/shared/errors.ts';
import { actorOf, organizationOf } from './auth.ts';
import { builder, type GraphQLContext } from './builder.ts';

/** Who runs a mutation: the caller's organization (the admin key is refused), its key, the request id. */
export function actorFrom(ctx: GraphQLContext): Actor {
  return { organizationId: organizationOf(ctx), actor: actorOf(ctx), correlationId: ctx.correlationId };
}

/**
 * Runs a command whose domain validation names fields relative to the input (`recurring`, `filters.0.key`) and
 * reports them as the client sent them (`input.recurring`), like `parseInput` does for zod's.
 */
export async function inInput<T>(run: () => Promise<T>, prefix = 'input'): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof ValidationError && error.field !== undefined && !error.field.startsWith(`${prefix}.`)) {
      const field = `${prefix}.${error.field}`;
      throw new ValidationError(error.message.startsWith(`${error.field}:`) ? `${prefix}.${error.message}` : error.message, field);
    }
    throw error;
  }
}

/**
 * A code or external id: kept exactly as sent (it is matched against events and other APIs), so blank values and
 * surrounding spaces are refused rather than trimmed.
 */
export const identifier = z
  .string()
  .max(255, 'at most 255 characters')
  .regex(/^\S(.*\S)?$/s, 'must not be blank or start or end with spaces');

/** Free text: trimmed; `null` clears it where the field is optional. */
export const text = (max = 255) => z.string().trim().max(max, `at most ${max} characters`);

/** Declares `<Name>Payload { <field>: <Name>! }`, what a mutation answers (as `PlanPayload { plan }`). */
// `any`: Pothos parameterises ObjectRef by the builder's own type map, which a generic helper cannot name.
export function payloadOf<T>(name: string, field: string, node: ObjectRef<any, T>) {
  return builder.objectRef<Record<string, T>>(`${name}Payload`).implement({
    fields: (t) => ({ [field]: t.field({ type: node, resolve: (payload) => payload[field] as never }) }),
  });
}
