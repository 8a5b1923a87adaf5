import { defaultFieldResolver, type GraphQLField, type GraphQLSchema } from 'graphql';
import { ValidationError } from '../domain/shared/errors.ts';

/**
 * Well-formed input only: every string a root field receives (arguments, input objects, lists, and the keys and
 * string values of JSON arguments) must be well-formed Unicode. A lone UTF-16 surrogate (`"\ud800"`, which JSON
 * variables can carry) is refused with a VALIDATION error naming the field, before the resolver runs: so before any
 * stream name is built (`encodeURIComponent` throws on one) and before anything is stored.
 *
 * A field that checks its strings itself says so with the extension below: ingestion does, per event, so that one
 * bad event is REJECTED on its own (`INVALID_FIELD`) and never fails its batch.
 */
export const CHECKS_OWN_STRINGS = 'checksOwnStrings';

type Node = { value: unknown; parent: Node | null; key: string };

const pathOf = (node: Node): string => {
  const keys: string[] = [];
  for (let at: Node | null = node; at !== null; at = at.parent) keys.push(at.key);
  return keys.reverse().join('.');
};

/**
 * The path (`input.charges.0.code`) of the first ill-formed string in `args`, or null; for a key of a JSON object,
 * the object's path. Walked without recursion, so a value nested however deep costs its size, never the stack.
 */
export function illFormedString(args: Record<string, unknown>): { field: string; key: boolean } | null {
  const stack: Node[] = [];
  const push = (value: unknown, parent: Node | null, key: string) => {
    if (typeof value === 'string' || (typeof value === 'object' && value !== null)) stack.push({ value, parent, key });
  };
  for (const key of Object.keys(args).reverse()) push(args[key], null, key);
  while (stack.length > 0) {
    const node = stack.pop()!;
    const { value } = node;
    if (typeof value === 'string') {
      if (!value.isWellFormed()) return { field: pathOf(node), key: false };
      continue;
    }
    if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i -= 1) push(value[i], node, String(i));
      continue;
    }
    if (value instanceof Date) continue;
    const keys = Object.keys(value as object);
    for (const key of keys) if (!key.isWellFormed()) return { field: pathOf(node), key: true };
    for (let i = keys.length - 1; i >= 0; i -= 1) push((value as Record<string, unknown>)[keys[i]!], node, keys[i]!);
  }
  return null;
}

export function requireWellFormed(args: Record<string, unknown>): void {
  const bad = illFormedString(args);
  if (bad === null) return;
  const what = bad.key ? 'has a key that is not' : 'must be';
  throw new ValidationError(`${bad.field}: ${what} well-formed Unicode (a lone UTF-16 surrogate was sent)`, bad.field);
}

/**
 * Puts the check in front of every root field with arguments (queries, mutations, and subscriptions on subscribe):
 * one place for the whole schema, so a field added later is covered without a line of its own.
 */
export function requireWellFormedInput(schema: GraphQLSchema): GraphQLSchema {
  for (const root of [schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()]) {
    if (!root) continue;
    const subscriptions = root === schema.getSubscriptionType();
    for (const field of Object.values(root.getFields()) as GraphQLField<unknown, unknown>[]) {
      if (field.args.length === 0 || field.extensions?.[CHECKS_OWN_STRINGS] === true) continue;
      if (subscriptions && field.subscribe) {
        const subscribe = field.subscribe;
        field.subscribe = (source, args, context, info) => {
          requireWellFormed(args);
          return subscribe(source, args, context, info);
        };
        continue;
      }
      const resolve = field.resolve ?? defaultFieldResolver;
      field.resolve = (source, args, context, info) => {
        requireWellFormed(args);
        return resolve(source, args, context, info);
      };
    }
  }
  return schema;
}
