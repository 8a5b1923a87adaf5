import { ForbiddenError } from '../domain/shared/errors.ts';
import type { GraphQLContext } from './builder.ts';

/** The organization the caller's key belongs to; the admin key has none and is refused here. */
export function organizationOf(context: GraphQLContext): string {
  const { organizationId } = context.principal;
  if (organizationId === null) throw new ForbiddenError('this operation needs an organization API key, not the admin key');
  return organizationId;
}

export function actorOf(context: GraphQLContext): string {
  return context.principal.kind === 'admin' ? 'admin' : `apiKey:${context.principal.keyId}`;
}
