import { EnvelopArmorPlugin } from '@escape.tech/graphql-armor';
import {
  getNullableType,
  getOperationAST,
  GraphQLError,
  isInputObjectType,
  isListType,
  Kind,
  typeFromAST,
  type ASTVisitor,
  type DocumentNode,
  type GraphQLInputType,
  type GraphQLSchema,
  type SelectionSetNode,
  type ValidationContext,
} from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { ValidationError } from '../domain/shared/errors.ts';
import { INGESTION_FIELDS, QUERY_LIMITS } from '../domain/shared/limits.ts';
import { domainToGraphQL } from './errors.ts';

/** An operation asking for more than `QUERY_LIMITS` allow: refused before anything runs (HTTP 400). */
export function tooComplex(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'QUERY_TOO_COMPLEX', http: { status: 400 } } });
}

/** graphql-armor's rejections, thrown as ours: validation stops at the first limit passed, at no further cost. */
const armored = () => ({
  propagateOnRejection: false,
  onReject: [
    (_context: unknown, error: GraphQLError): never => {
      throw tooComplex(error.message.replace(/^Syntax Error: /, ''));
    },
  ],
  exposeLimits: true,
});

/**
 * Whether the document nests braces, brackets and parentheses (selections, list and object literals, arguments)
 * deeper than `max`, read from its text in one pass, strings and comments skipped. The parser recurses once per
 * level (a few thousand levels overflow the stack), so this runs before it.
 */
export function nestsDeeperThan(source: string, max: number): boolean {
  let depth = 0;
  const length = source.length;
  for (let i = 0; i < length; i += 1) {
    const c = source.charCodeAt(i);
    if (c === 0x7b || c === 0x5b || c === 0x28) {
      depth += 1;
      if (depth > max) return true;
    } else if (c === 0x7d || c === 0x5d || c === 0x29) {
      depth -= 1;
    } else if (c === 0x23) {
      // A comment, to the end of its line.
      while (i + 1 < length && source.charCodeAt(i + 1) !== 0x0a && source.charCodeAt(i + 1) !== 0x0d) i += 1;
    } else if (c === 0x22) {
      if (source.startsWith('"""', i)) {
        // A block string, to the next `"""` not escaped as `\"""`.
        i += 3;
        while (i < length && !(source.startsWith('"""', i) && source.charCodeAt(i - 1) !== 0x5c)) i += 1;
        i += 2;
      } else {
        // A string, to its closing quote (or the end of the line, where the parser will refuse it).
        i += 1;
        while (i < length) {
          const d = source.charCodeAt(i);
          if (d === 0x5c) i += 2;
          else if (d === 0x22 || d === 0x0a || d === 0x0d) break;
          else i += 1;
        }
      }
    }
  }
  return false;
}

/** The nesting check before the parser, and a parser that still overflows the stack reported as too complex. */
function useNestingLimit(): Plugin {
  return {
    onParse({ parseFn, setParseFn }) {
      setParseFn((source, options) => {
        const text = typeof source === 'string' ? source : source.body;
        if (nestsDeeperThan(text, QUERY_LIMITS.nesting)) {
          throw tooComplex(`the document nests more than ${QUERY_LIMITS.nesting} levels of braces, brackets or parentheses`);
        }
        try {
          return parseFn(source, options);
        } catch (error) {
          if (error instanceof RangeError) throw tooComplex('the document nests too deeply to be parsed');
          throw error;
        }
      });
    },
  };
}

/**
 * At most `QUERY_LIMITS.ingestionFields` fields that ingest usage in one operation (aliases, fragments and inline
 * fragments included): each is a batch of its own, so 100 aliases sharing one 10,000-event variable would ingest
 * a million events in one request. Refused in validation, before the variables are coerced.
 */
export function ingestionFieldsRule(context: ValidationContext): ASTVisitor {
  return {
    OperationDefinition(operation) {
      let count = 0;
      const spread = new Set<string>();
      const walk = (set: SelectionSetNode) => {
        for (const selection of set.selections) {
          if (selection.kind === Kind.FIELD) {
            if (INGESTION_FIELDS.has(selection.name.value) && ++count > QUERY_LIMITS.ingestionFields) {
              throw tooComplex(`an operation may ingest usage once (one createEvent or createEvents field): send another request for another batch`);
            }
          } else if (selection.kind === Kind.INLINE_FRAGMENT) {
            walk(selection.selectionSet);
          } else if (!spread.has(selection.name.value)) {
            spread.add(selection.name.value);
            const fragment = context.getFragment(selection.name.value);
            if (fragment) walk(fragment.selectionSet);
          }
        }
      };
      walk(operation.selectionSet);
    },
  };
}

/** Whether a value of this input type can hold a list (memoized per schema type): if not, it is not walked. */
const holdsLists = new WeakMap<object, boolean>();
function canHoldList(type: GraphQLInputType): boolean {
  const nullable = getNullableType(type);
  if (isListType(nullable)) return true;
  if (!isInputObjectType(nullable)) return false;
  const known = holdsLists.get(nullable);
  if (known !== undefined) return known;
  holdsLists.set(nullable, false); // a recursive input type is settled by its other fields
  const result = Object.values(nullable.getFields()).some((field) => canHoldList(field.type));
  holdsLists.set(nullable, result);
  return result;
}

/**
 * The first list of the raw variables longer than `QUERY_LIMITS.listItems`, or past `listItemsTotal` items in all,
 * as a VALIDATION error naming it (`variables.events`), or null. Follows the operation's variable types without
 * recursion, entering only values that can hold a list (a batch of events is one length check; a JSON value is
 * never walked): coercing 300,000 events to refuse them at the batch cap would take seconds, this takes nothing.
 */
export function variableListsError(schema: GraphQLSchema, document: DocumentNode, operationName: string | null | undefined, variables: unknown): ValidationError | null {
  if (typeof variables !== 'object' || variables === null) return null;
  const operation = getOperationAST(document, operationName ?? undefined);
  if (!operation) return null;
  let total = 0;
  const stack: { value: unknown; type: GraphQLInputType; path: string }[] = [];
  for (const definition of operation.variableDefinitions ?? []) {
    const type = typeFromAST(schema, definition.type) as GraphQLInputType | undefined;
    const name = definition.variable.name.value;
    if (type && canHoldList(type) && Object.hasOwn(variables, name)) stack.push({ value: (variables as Record<string, unknown>)[name], type, path: `variables.${name}` });
  }
  while (stack.length > 0) {
    const { value, type, path } = stack.pop()!;
    if (value === null || value === undefined) continue;
    const nullable = getNullableType(type);
    if (isListType(nullable)) {
      const items = Array.isArray(value) ? value : [value];
      if (items.length > QUERY_LIMITS.listItems) return new ValidationError(`${path}: at most ${QUERY_LIMITS.listItems.toLocaleString('en-US')} items in a list`, path);
      total += items.length;
      if (total > QUERY_LIMITS.listItemsTotal) return new ValidationError(`${path}: the variables hold more than ${QUERY_LIMITS.listItemsTotal.toLocaleString('en-US')} list items in all`, path);
      const item = nullable.ofType as GraphQLInputType;
      if (canHoldList(item)) items.forEach((entry, i) => stack.push({ value: entry, type: item, path: `${path}.${i}` }));
    } else if (isInputObjectType(nullable) && typeof value === 'object') {
      for (const field of Object.values(nullable.getFields())) {
        if (Object.hasOwn(value, field.name) && canHoldList(field.type)) {
          stack.push({ value: (value as Record<string, unknown>)[field.name], type: field.type, path: `${path}.${field.name}` });
        }
      }
    }
  }
  return null;
}

/** The list caps of the variables, before execution coerces them (HTTP and websockets). */
function useVariableListLimits(): Plugin {
  const check = ({ args, setResultAndStopExecution }: { args: { schema: GraphQLSchema; document: DocumentNode; operationName?: string | null; variableValues?: unknown }; setResultAndStopExecution: (result: never) => void }) => {
    const error = variableListsError(args.schema, args.document, args.operationName, args.variableValues);
    if (error) setResultAndStopExecution({ errors: [domainToGraphQL(error)] } as never);
  };
  return { onExecute: check, onSubscribe: check };
}

/**
 * Bounded work per request: the nesting check before parsing, then graphql-armor's token, directive, alias, cost
 * and depth limits and the ingestion-field rule, every refusal a QUERY_TOO_COMPLEX error. HTTP and websockets
 * alike (both go through Yoga's envelop).
 */
export function useRequestLimits(): Plugin[] {
  return [
    EnvelopArmorPlugin({
      // The schema is public (introspection, schema.graphql): suggestions for a mistyped field stay helpful.
      blockFieldSuggestion: { enabled: false },
      maxTokens: { n: QUERY_LIMITS.tokens, ...armored() },
      maxDirectives: { n: QUERY_LIMITS.directives, ...armored() },
      // `__typename` counts too: 10,000 aliases of anything are refused.
      maxAliases: { n: QUERY_LIMITS.aliases, allowList: [], ...armored() },
      costLimit: { maxCost: QUERY_LIMITS.cost, ...armored() },
      maxDepth: { n: QUERY_LIMITS.depth, flattenFragments: true, ...armored() },
    }) as Plugin,
    // After armor's token-counting parser, so it wraps it.
    useNestingLimit(),
    { onValidate: ({ addValidationRule }) => addValidationRule(ingestionFieldsRule) },
    useVariableListLimits(),
  ];
}
