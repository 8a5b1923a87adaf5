import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import {
  getNamedType,
  getNullableType,
  isEnumType,
  isInputObjectType,
  isLeafType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType,
  type GraphQLEnumType,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLOutputType,
} from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { schema } from '../../src/graphql/schema.ts';
import { organizationIdOf } from '../support/catalog.ts';
import { ADMIN_KEY, startTestServer, type TestServer } from '../support/server.ts';

/**
 * Issue 12, "Fuzz": damaged requests generated with fast-check across every mutation of the schema (enumerated from
 * the built schema, so a new mutation is covered without editing this file), sent over real HTTP. For every answer:
 * never a 5xx, never INTERNAL, every error with a code of the README's error table (parsed from README.md, so the
 * test follows the doc) and an HTTP status that table names for it, and the log unchanged by every request refused
 * as a whole (errors and no field answered).
 *
 * Reproducible: a fixed seed by default (`FUZZ_SEED=<n>` to try another); `SOAK=1` sends ≥ 10,000 requests instead
 * of ≥ 2,000 (`FUZZ_RUNS=<n>` to choose). A failure message names the seed and each failing request.
 */

const SOAK = (process.env.SOAK ?? '') !== '' && process.env.SOAK !== '0';
const SEED = Number(process.env.FUZZ_SEED ?? 12_2026);
const RUNS = Number(process.env.FUZZ_RUNS ?? (SOAK ? 10_000 : 2_000));

/** code → the HTTP statuses the README's error table names for it. */
const TABLE = (() => {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const start = readme.indexOf('### Errors');
  const section = readme.slice(start, readme.indexOf('\n### ', start + 1));
  return new Map([...section.matchAll(/^\| `([A-Z_]+)` \| ([^|]+) \|/gm)].map((m) => [m[1]!, new Set([...m[2]!.matchAll(/\b[1-5]\d\d\b/g)].map((s) => Number(s[0])))]));
})();

// ---------------------------------------------------------------------------------------------------------------
// Values that need a special rendering (kept small in the generated cases, expanded when the body is built).

/** A string of `length` copies of `unit`. */
class Giant {
  readonly length: number;
  readonly unit: string;
  constructor(length: number, unit: string) {
    this.length = length;
    this.unit = unit;
  }
  expand(): string {
    return this.unit.repeat(Math.ceil(this.length / this.unit.length));
  }
}
/** A list of `count` copies of `item`. */
class GiantList {
  readonly count: number;
  readonly item: unknown;
  constructor(count: number, item: unknown) {
    this.count = count;
    this.item = item;
  }
}
/** A number token written as is (`1e400`, 400 digits): JSON reads it as Infinity or a rounded double. */
class Raw {
  readonly token: string;
  constructor(token: string) {
    this.token = token;
  }
}
/** A bare name: an enum value in a GraphQL literal (a string in JSON). */
class Bare {
  readonly name: string;
  constructor(name: string) {
    this.name = name;
  }
}
/** Arrays or objects nested `depth` deep. */
class Nest {
  readonly depth: number;
  readonly shape: 'array' | 'object';
  constructor(depth: number, shape: 'array' | 'object') {
    this.depth = depth;
    this.shape = shape;
  }
}

const NAME = /^[_A-Za-z][_0-9A-Za-z]*$/;

function toJson(value: unknown): string {
  if (value instanceof Giant) return JSON.stringify(value.expand());
  if (value instanceof GiantList) return `[${Array.from({ length: value.count }, () => toJson(value.item)).join(',')}]`;
  if (value instanceof Raw) return value.token;
  if (value instanceof Bare) return JSON.stringify(value.name);
  if (value instanceof Nest) return value.shape === 'array' ? `${'['.repeat(value.depth)}${']'.repeat(value.depth)}` : `${'{"a":'.repeat(value.depth)}1${'}'.repeat(value.depth)}`;
  if (Array.isArray(value)) return `[${value.map((item) => (item === undefined ? 'null' : toJson(item))).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.entries(value)
      .filter(([, item]) => item !== undefined)
      .map(([key, item]) => `${JSON.stringify(key)}:${toJson(item)}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** A GraphQL literal of `value`, strings of an enum type written as bare names. */
function toLiteral(value: unknown, type: GraphQLInputType | undefined): string {
  const nullable = type ? getNullableType(type) : undefined;
  if (value instanceof Giant) return JSON.stringify(value.expand());
  if (value instanceof GiantList) return `[${Array.from({ length: value.count }, () => toLiteral(value.item, undefined)).join(' ')}]`;
  if (value instanceof Raw) return value.token;
  if (value instanceof Bare) return value.name;
  if (value instanceof Nest) return value.shape === 'array' ? `${'['.repeat(value.depth)}${']'.repeat(value.depth)}` : `${'{a: '.repeat(value.depth)}1${'}'.repeat(value.depth)}`;
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return nullable && isEnumType(nullable) && NAME.test(value) ? value : JSON.stringify(value);
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : String(value).replace('-', '');
  if (typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return `[${value.map((item) => toLiteral(item, nullable && isListType(nullable) ? (nullable.ofType as GraphQLInputType) : undefined)).join(', ')}]`;
  const fields = nullable && isInputObjectType(nullable) ? nullable.getFields() : undefined;
  return `{${Object.entries(value as Record<string, unknown>)
    .filter(([, item]) => item !== undefined)
    .map(([key, item]) => `${NAME.test(key) ? key : JSON.stringify(key)}: ${toLiteral(item, fields?.[key]?.type)}`)
    .join(', ')}}`;
}

// ---------------------------------------------------------------------------------------------------------------
// Plausible input for any input type of the schema, steered by field names towards the seeded catalog.

const IDENTIFIERS = ['calls', 'seats', 'basic', 'vat', 'fz_a', 'fz_b'];

function stringFor(name: string): fc.Arbitrary<string> {
  const n = name.toLowerCase();
  if (n.includes('currency')) return fc.constantFrom('EUR', 'USD', 'JPY', 'XXX', 'eur', 'EURO');
  if (/(amountcents|rate)$/.test(n)) return fc.oneof(fc.constantFrom('0', '1', '100', '1000', '12.5', '-1', '0.000001', '1e3'), fc.nat(1_000_000_000).map(String));
  if (n.includes('timezone')) return fc.constantFrom('UTC', 'Europe/Paris', 'America/New_York', 'Mars/Olympus');
  if (n === 'country') return fc.constantFrom('FR', 'US', 'ZZ', 'fr');
  if (n === 'email') return fc.constantFrom('a@example.com', 'not-an-email');
  if (n === 'externalid' || n === 'externalcustomerid') return fc.constantFrom('cus_1', 'cus_2', 'sub_1', 'fz_cus');
  if (n === 'externalsubscriptionid') return fc.constantFrom('sub_1', 'sub_2', 'fz_sub');
  if (n === 'transactionid') return fc.string({ minLength: 1, maxLength: 16 });
  if (n === 'fieldname') return fc.constantFrom('n', 'amount', 'region');
  if (n === 'documentnumberprefix') return fc.constantFrom('INV', 'TOOLONGPREFIX', 'a');
  if (n.endsWith('code') || n.endsWith('codes')) return fc.oneof(fc.constantFrom(...IDENTIFIERS), fc.stringMatching(/^[a-z_]{1,8}$/));
  return fc.oneof(fc.string({ maxLength: 12 }), fc.string({ unit: 'grapheme', maxLength: 6 }), fc.constantFrom(...IDENTIFIERS));
}

function scalarFor(scalar: string, name: string, organizationId: string): fc.Arbitrary<unknown> {
  switch (scalar) {
    case 'String':
      return stringFor(name);
    case 'ID':
      return name === 'organizationId' ? fc.constantFrom(organizationId, '00000000-0000-4000-8000-000000000000', 'x') : fc.oneof(fc.uuid(), fc.constantFrom('x', '1'));
    case 'Int':
      return name.toLowerCase().includes('precision') ? fc.integer({ min: -25, max: 25 }) : fc.integer({ min: -5, max: 90 });
    case 'Float':
      return fc.oneof(fc.integer({ min: -2, max: 60 }), fc.double({ min: -2, max: 60, noNaN: true }));
    case 'Boolean':
      return fc.boolean();
    case 'DateTime':
      return fc.oneof(
        fc.date({ min: new Date('2020-01-01T00:00:00Z'), max: new Date('2032-01-01T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString()),
        fc.constantFrom('2026-01-01T00:00:00.000Z', '2026-12-01', 'now'),
      );
    case 'Timestamp':
      return fc.oneof(fc.integer({ min: 1_600_000_000, max: 1_900_000_000 }), fc.constantFrom('1767225600', '1767225600.5', '2026-12-01T00:00:00Z'));
    case 'JSON':
      return name === 'properties'
        ? fc.oneof(fc.constant({ amount: '1' }), fc.constant({}), fc.record({ amount: fc.constantFrom('0.5', 'x', '-1') }), fc.jsonValue({ maxDepth: 2 }))
        : fc.oneof(fc.constant({ region: ['eu'] }), fc.jsonValue({ maxDepth: 2 }));
    default:
      return fc.oneof(fc.string({ maxLength: 8 }), fc.integer());
  }
}

function valueFor(type: GraphQLInputType, name: string, organizationId: string, depth = 0): fc.Arbitrary<unknown> {
  const nullable = getNullableType(type) as GraphQLInputType;
  if (isListType(nullable)) return fc.array(valueFor(nullable.ofType as GraphQLInputType, name, organizationId, depth + 1), { maxLength: depth > 3 ? 0 : 3 });
  if (isEnumType(nullable)) return fc.constantFrom(...nullable.getValues().map((v) => v.name));
  if (isInputObjectType(nullable)) {
    const fields = Object.values(nullable.getFields());
    const required = fields.filter((f) => isNonNullType(f.type)).map((f) => f.name);
    const optional = depth > 3 ? [] : fields.filter((f) => !isNonNullType(f.type));
    const model: Record<string, fc.Arbitrary<unknown>> = {};
    for (const f of [...fields.filter((f) => isNonNullType(f.type)), ...optional]) model[f.name] = valueFor(f.type, f.name, organizationId, depth + 1);
    return fc.record(model, { requiredKeys: required });
  }
  if (isScalarType(nullable)) return scalarFor(nullable.name, name, organizationId);
  return fc.constant(null);
}

// ---------------------------------------------------------------------------------------------------------------
// Where a value can be damaged: every position of the generated input, with its type.

type Path = (string | number)[];
interface Slot {
  path: Path;
  type: GraphQLInputType;
  name: string;
  /** A required field of an input object (or a required argument). */
  required: boolean;
}

function slotsOf(value: unknown, type: GraphQLInputType, path: Path, name: string, required: boolean, out: Slot[]): Slot[] {
  out.push({ path, type, name, required });
  const nullable = getNullableType(type);
  if (isListType(nullable) && Array.isArray(value)) value.forEach((item, i) => slotsOf(item, nullable.ofType as GraphQLInputType, [...path, i], name, false, out));
  else if (isInputObjectType(nullable) && value !== null && typeof value === 'object') {
    for (const field of Object.values(nullable.getFields())) {
      if (Object.hasOwn(value, field.name)) slotsOf((value as Record<string, unknown>)[field.name], field.type, [...path, field.name], field.name, isNonNullType(field.type), out);
    }
  }
  return out;
}

function setAt(root: Record<string, unknown>, path: Path, value: unknown): void {
  let at: Record<string | number, unknown> = root;
  for (const key of path.slice(0, -1)) at = at[key] as Record<string | number, unknown>;
  at[path.at(-1)!] = value;
}

function deleteAt(root: Record<string, unknown>, path: Path): void {
  let at: Record<string | number, unknown> = root;
  for (const key of path.slice(0, -1)) at = at[key] as Record<string | number, unknown>;
  if (Array.isArray(at)) at.splice(path.at(-1) as number, 1);
  else delete at[path.at(-1)!];
}

const namedKind = (type: GraphQLInputType): string => {
  const nullable = getNullableType(type);
  if (isListType(nullable)) return 'list';
  if (isInputObjectType(nullable)) return 'object';
  if (isEnumType(nullable)) return 'enum';
  return (nullable as { name: string }).name;
};

// ---------------------------------------------------------------------------------------------------------------
// Requests.

type Mutation = GraphQLField<unknown, unknown>;
type Args = Record<string, unknown>;
type Mode = 'variables' | 'literal';

/** A selection of the payload: its leaves two levels deep (fields without required arguments), `__typename` first. */
function selectionOf(type: GraphQLOutputType, depth = 0): string {
  const named = getNamedType(type);
  if (isLeafType(named)) return '';
  if (!isObjectType(named)) return '{ __typename }';
  const parts = ['__typename'];
  for (const field of Object.values(named.getFields())) {
    if (field.args.some((arg) => isNonNullType(arg.type))) continue;
    const inner = getNamedType(field.type);
    if (isLeafType(inner)) parts.push(field.name);
    else if (depth < 1 && isObjectType(inner)) parts.push(`${field.name} ${selectionOf(field.type, depth + 1)}`);
  }
  return `{ ${parts.join(' ')} }`;
}

interface Shape {
  aliases?: number;
  /** Arguments left out of the field (and their variables). */
  omit?: string[];
  extraArgument?: string;
  extraSelection?: string;
  /** Inline fragments around the field (`mutation`) or inside its selection (`payload`). */
  wrap?: { depth: number; where: 'mutation' | 'payload' };
  unusedVariable?: boolean;
}

/** The operation for `m` with `args`, as `{ query, variables }`. */
function operation(m: Mutation, args: Args, mode: Mode, shape: Shape = {}): { query: string; variables?: Args } {
  const used = m.args.filter((arg) => !shape.omit?.includes(arg.name));
  let selection = selectionOf(m.type);
  if (shape.extraSelection) selection = selection.replace('{ __typename', `{ __typename ${shape.extraSelection}`);
  if (shape.wrap?.where === 'payload') {
    const on = getNamedType(m.type).name;
    selection = `{ ${`... on ${on} { `.repeat(shape.wrap.depth)}__typename${' }'.repeat(shape.wrap.depth)} }`;
  }
  const argumentList = (variables: boolean) => {
    const list = used.map((arg) => (variables ? `${arg.name}: $${arg.name}` : `${arg.name}: ${toLiteral(args[arg.name], arg.type)}`));
    if (shape.extraArgument) list.push(shape.extraArgument);
    return list.length > 0 ? `(${list.join(', ')})` : '';
  };
  const count = Math.max(1, shape.aliases ?? 1);
  const fields = Array.from({ length: count }, (_, i) => `${count > 1 ? `a${i}: ` : ''}${m.name}${argumentList(mode === 'variables')} ${selection}`).join(' ');
  const body = shape.wrap?.where === 'mutation' ? `${'... on Mutation { '.repeat(shape.wrap.depth)}${fields}${' }'.repeat(shape.wrap.depth)}` : fields;
  if (mode === 'literal') return { query: `mutation Fuzz${shape.unusedVariable ? '($unused: Int)' : ''} { ${body} }` };
  const definitions = [...m.args.map((arg) => `$${arg.name}: ${String(arg.type)}`), ...(shape.unusedVariable ? ['$unused: Int'] : [])];
  const variables: Args = {};
  for (const arg of used) if (args[arg.name] !== undefined) variables[arg.name] = args[arg.name];
  return { query: `mutation Fuzz${definitions.length > 0 ? `(${definitions.join(', ')})` : ''} { ${body} }`, variables };
}

type Key = 'organization' | 'admin' | 'unknown';

interface Case {
  mutation: string;
  kind: Kind;
  key: Key;
  mode: Mode;
  contentType: string;
  /** The response keys of the mutation fields asked for (the aliases, or the field's name). */
  fields: string[];
  /** The body, built when sent (giant values stay small until then). */
  body: () => string | Uint8Array;
}

const KINDS = [
  'wrongType',
  'hugeNumber',
  'nanInfinity',
  'giantString',
  'illFormedString',
  'deepNesting',
  'aliases',
  'batched',
  'invalidJson',
  'unknownEnum',
  'missingRequired',
  'extraFields',
] as const;
type Kind = (typeof KINDS)[number];

const jsonBody = (op: { query: string; variables?: Args }, extra: Args = {}) => () => toJson({ ...op, ...extra });

/** A value of another JSON kind than `type` takes. */
function wrongTypeFor(type: GraphQLInputType): fc.Arbitrary<unknown> {
  switch (namedKind(type)) {
    case 'String':
    case 'ID':
    case 'enum':
      return fc.oneof(fc.integer(), fc.boolean(), fc.constant({}), fc.constant([1, 2]), fc.double({ noNaN: true }), fc.constant({ value: 'x' }));
    case 'Int':
      return fc.oneof(fc.constantFrom('12', 'twelve', '', 1.5, -0.5, true), fc.constant({}), fc.constant([]));
    case 'Float':
      return fc.oneof(fc.constantFrom('1.5', 'x', true, false), fc.constant({}), fc.constant([1]));
    case 'Boolean':
      return fc.constantFrom('true', 'false', 1, 0, 'yes', {}, []);
    case 'DateTime':
      return fc.constantFrom(1_767_225_600, true, {}, [], 'yesterday', '2026-13-45T25:61:00Z', '2026-02-30T00:00:00Z', '+275760-09-13T00:00:00.001Z', '0000-00-00');
    case 'Timestamp':
      return fc.constantFrom(true, {}, [], 'yesterday', '2026-13-45', -1, 1e20, '');
    case 'list':
      return fc.oneof(fc.constant({}), fc.constant('x'), fc.integer(), fc.constant([[1]]), fc.constant([null]));
    case 'object':
      return fc.oneof(fc.constant('x'), fc.integer(), fc.constant([1, 2]), fc.boolean(), fc.constant([{}]));
    default:
      return fc.constantFrom<unknown>('x', 1, true, [], null);
  }
}

const HUGE = fc.oneof(
  fc.constantFrom<unknown>(1e308, -1e308, 2 ** 53 + 2, 2 ** 31, -(2 ** 31) - 1, 2 ** 63, Number.MAX_SAFE_INTEGER, 5e-324, 1e21, -1e21),
  fc.integer({ min: 20, max: 2_000 }).map((n) => new Raw('9'.repeat(n))),
  fc.integer({ min: 20, max: 2_000 }).map((n) => `${'9'.repeat(n)}`),
  fc.constantFrom<unknown>(new Raw('1e400'), new Raw('-1e400'), new Raw('1e-400'), '1e400', '-1e400', '99999999999999999999.99999999999999999999', '-99999999999999999999'),
);

const NOT_A_NUMBER = fc.constantFrom<unknown>('NaN', 'Infinity', '-Infinity', '+Infinity', 'inf', '1e999', '-1e999', '-0', '0x1F', '1_000', ' 1 ', '', '١٢٣', '１２', new Raw('1e999'), new Raw('-1e999'), 'null', 'undefined');

const GIANT = fc.oneof(
  { weight: 20, arbitrary: fc.tuple(fc.constantFrom(10_000, 100_000, 1_000_000, 2_500_000), fc.constantFrom('x', 'é', '😀', '"', '\\', '\u0000', 'ab ')).map(([n, unit]) => new Giant(n, unit)) },
  { weight: 1, arbitrary: fc.constant(new Giant(26_000_000, 'x')) },
);

const ILL_FORMED = fc.oneof(
  fc.constantFrom<unknown>('\ud800', 'a\udc00', '\udbff\udbff', '\udc00\ud800', 'ok\ud83d', `${'x'.repeat(100)}\udfff`, ['\ud800'], { '\ud800': 1 }, { a: '\udc00' }),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 8 }).map((s) => `${s}\ud800${s}`),
);

const UNKNOWN_NAME = fc.stringMatching(/^[a-z][a-zA-Z0-9]{0,10}$/);

/** One damaged request for `m`: a plausible input, damaged as `kind` says. */
function caseFor(m: Mutation, kind: Kind, organizationId: string): fc.Arbitrary<Case> {
  const admin = (m.description ?? '').includes('ADMIN_API_KEY');
  const key: fc.Arbitrary<Key> = fc.oneof(
    { weight: admin ? 10 : 17, arbitrary: fc.constant<Key>('organization') },
    { weight: admin ? 10 : 2, arbitrary: fc.constant<Key>('admin') },
    { weight: 1, arbitrary: fc.constant<Key>('unknown') },
  );
  const argsArb = fc.record(Object.fromEntries(m.args.map((arg) => [arg.name, valueFor(arg.type, arg.name, organizationId)])), {
    requiredKeys: m.args.filter((arg) => isNonNullType(arg.type)).map((arg) => arg.name),
  }) as fc.Arbitrary<Args>;
  const mode = fc.constantFrom<Mode>('variables', 'variables', 'literal');

  return fc.tuple(argsArb, mode, key, fc.nat()).chain(([args, mode, key, pick]) => {
    const slots: Slot[] = [];
    for (const arg of m.args) if (Object.hasOwn(args, arg.name)) slotsOf(args[arg.name], arg.type, [arg.name], arg.name, isNonNullType(arg.type), slots);
    const choose = (filter: (slot: Slot) => boolean): Slot | undefined => {
      const fitting = slots.filter(filter);
      const from = fitting.length > 0 ? fitting : slots;
      return from.length > 0 ? from[pick % from.length] : undefined;
    };
    const made = (body: () => string | Uint8Array, contentType = 'application/json', fields = [m.name]): Case => ({ mutation: m.name, kind, key, mode, contentType, fields, body });
    /** The input with `slot` replaced by each generated value. */
    const replaced = (slot: Slot | undefined, value: fc.Arbitrary<unknown>, shape: Shape = {}) =>
      value.map((v) => {
        const damaged = structuredClone(args);
        if (slot) setAt(damaged, slot.path, v);
        return made(jsonBody(operation(m, damaged, mode, shape)));
      });
    const scalar = (slot: Slot) => !['list', 'object'].includes(namedKind(slot.type));
    const stringy = (slot: Slot) => ['String', 'ID', 'JSON'].includes(namedKind(slot.type));

    switch (kind) {
      case 'wrongType': {
        const slot = choose(() => true);
        return replaced(slot, slot ? wrongTypeFor(slot.type) : fc.constant(null));
      }
      case 'hugeNumber':
        return replaced(choose((s) => ['Int', 'Float', 'String', 'Timestamp', 'JSON'].includes(namedKind(s.type))), HUGE);
      case 'nanInfinity':
        return replaced(choose((s) => ['Int', 'Float', 'Timestamp', 'JSON'].includes(namedKind(s.type)) || /amountcents|rate/i.test(s.name)), NOT_A_NUMBER);
      case 'giantString': {
        const list = slots.find((s) => namedKind(s.type) === 'list');
        return fc.oneof(
          { weight: 5, arbitrary: replaced(choose(stringy), GIANT) },
          { weight: 1, arbitrary: replaced(list ?? choose(stringy), fc.constantFrom(new GiantList(20_001, 'x'), new GiantList(100_001, 1))) },
        );
      }
      case 'illFormedString':
        return fc.oneof(replaced(choose(stringy), ILL_FORMED), replaced(choose(scalar), ILL_FORMED));
      case 'deepNesting':
        return fc.oneof(
          replaced(
            choose(() => true),
            fc.tuple(fc.constantFrom(10, 63, 64, 65, 1_000, 10_000, 100_000), fc.constantFrom<'array' | 'object'>('array', 'object')).map(([d, shape]) => new Nest(d, shape)),
          ),
          fc.tuple(fc.constantFrom(5, 11, 13, 64, 1_000, 10_000), fc.constantFrom<'mutation' | 'payload'>('mutation', 'payload')).map(([depth, where]) =>
            made(jsonBody(operation(m, args, mode, { wrap: { depth, where } }))),
          ),
        );
      case 'aliases':
        return fc.integer({ min: 2, max: 40 }).map((aliases) =>
          made(jsonBody(operation(m, args, mode, { aliases })), 'application/json', Array.from({ length: aliases }, (_, i) => `a${i}`)),
        );
      case 'batched':
        return fc.oneof(
          fc.integer({ min: 0, max: 6 }).map((n) => made(() => toJson(Array.from({ length: n }, () => operation(m, args, mode))))),
          fc.constantFrom<unknown>([[]], [null], [1, 'x'], [[{ query: '{ __typename }' }]]).map((body) => made(() => toJson(body))),
        );
      case 'invalidJson': {
        const valid = toJson(operation(m, args, mode));
        return fc.oneof(
          fc.nat(valid.length - 1).map((at) => made(() => valid.slice(0, at))),
          fc.tuple(fc.nat(valid.length), fc.constantFrom('"', ',', '}', '{', '\\', '\u0000', ':', ' ]')).map(([at, c]) => made(() => `${valid.slice(0, at)}${c}${valid.slice(at)}`)),
          fc.constantFrom(`${valid.slice(0, -1)},}`, `\ufeff${valid}`, `${valid}${valid}`, `${valid} x`, `// c\n${valid}`, 'null', 'true', '123', '"str"', '', ' ', 'undefined', "{'query': 'x'}", 'query=mutation%7B__typename%7D').map((s) => made(() => s)),
          fc.string({ unit: 'binary', maxLength: 40 }).map((s) => made(() => s)),
          // Bytes that are not UTF-8, inside and outside strings.
          fc.tuple(fc.nat(valid.length), fc.constantFrom([0xff], [0xc3, 0x28], [0xed, 0xa0, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80], [0x80])).map(([at, bytes]) =>
            made(() => {
              const text = new TextEncoder().encode(valid);
              return new Uint8Array([...text.subarray(0, at), ...bytes, ...text.subarray(at)]);
            }),
          ),
          // A JSON object, but not a GraphQL request: fields of the wrong type.
          fc.constantFrom<Args>(
            { query: 1 },
            { query: ['mutation { __typename }'] },
            { query: null },
            { query: { query: 'x' } },
            { variables: 'x' },
            { variables: [] },
            { operationName: 5 },
            { operationName: 'Nope' },
            { extensions: [] },
            { extensions: 'x' },
          ).map((override) => made(() => toJson({ ...operation(m, args, mode), ...override }))),
          fc.constantFrom('text/plain', 'application/x-www-form-urlencoded', 'application/json; charset=utf-16', 'multipart/form-data; boundary=x', 'application/graphql-response+json').map((type) => made(() => valid, type)),
        );
      }
      case 'unknownEnum': {
        const slot = slots.find((s) => isEnumType(getNullableType(s.type))) ? choose((s) => isEnumType(getNullableType(s.type))) : choose(stringy);
        const known = slot && isEnumType(getNullableType(slot.type)) ? (getNullableType(slot.type) as GraphQLEnumType).getValues().map((v) => v.name) : [];
        return replaced(
          slot,
          fc.oneof(
            fc.stringMatching(/^[A-Z][A-Z_]{0,15}$/).filter((name) => !known.includes(name)).map((name) => new Bare(name)),
            fc.constantFrom<unknown>(...known.map((name) => name.toLowerCase()), ...known.map((name) => `${name}_X`), ...known.map((name) => ` ${name}`), new Bare('true'), new Bare('null'), '', 'NaN'),
          ),
        );
      }
      case 'missingRequired': {
        const slot = choose((s) => s.required);
        return fc.oneof(
          fc.constant(slot).map((s) => {
            const damaged = structuredClone(args);
            if (s) deleteAt(damaged, s.path);
            // A required argument left out: of the field itself, and of the variables.
            const omit = s && s.path.length === 1 ? [String(s.path[0])] : [];
            return made(jsonBody(operation(m, damaged, mode, mode === 'literal' ? { omit } : {})));
          }),
          replaced(slot, fc.constant(null)),
        );
      }
      case 'extraFields': {
        const object = slots.some((s) => namedKind(s.type) === 'object') ? choose((s) => namedKind(s.type) === 'object') : undefined;
        return fc.oneof(
          fc.tuple(UNKNOWN_NAME, fc.jsonValue({ maxDepth: 1 })).map(([name, value]) => {
            if (!object) return made(jsonBody(operation(m, args, mode, { extraArgument: `${name}Extra: 1` })));
            const damaged = structuredClone(args);
            const target = object.path.reduce<unknown>((at, k) => (at as Record<string | number, unknown>)[k], damaged) as Args;
            if (target && typeof target === 'object' && !Array.isArray(target)) target[`${name}Extra`] = value;
            return made(jsonBody(operation(m, damaged, mode)));
          }),
          UNKNOWN_NAME.map((name) => made(jsonBody(operation(m, args, mode, { extraArgument: `${name}Extra: 1` })))),
          UNKNOWN_NAME.map((name) => made(jsonBody(operation(m, args, mode, { extraSelection: `${name}Extra` })))),
          fc.constant(made(jsonBody(operation(m, args, mode, { unusedVariable: true })))),
          fc.tuple(UNKNOWN_NAME, fc.jsonValue({ maxDepth: 1 })).map(([name, value]) => made(jsonBody(operation(m, args, mode), { [name]: value }))),
        );
      }
    }
  });
}

// ---------------------------------------------------------------------------------------------------------------

let server: TestServer;

interface Failure {
  index: number;
  mutation: string;
  kind: Kind;
  key: Key;
  mode: Mode;
  problem: string;
  request: string;
  answer: string;
}

const snippet = (body: string | Uint8Array) => {
  const text = typeof body === 'string' ? body : `<bytes> ${Buffer.from(body).toString('utf8')}`;
  return text.length > 400 ? `${text.slice(0, 300)}…(${text.length} chars)…${text.slice(-80)}` : text;
};

type Answer = { data?: unknown; errors?: { message?: string; path?: (string | number)[]; extensions?: { code?: unknown } }[] };

/**
 * What is wrong with an answer (status, body), or [], and whether the request was refused as a whole: an error of
 * the request itself (no path), or an error of every mutation field asked for (`fields`), none answered. A field
 * with no error of its own did its work even when another alias's error nulls the whole `data` (its payload is
 * non-null): then the log may have moved.
 */
function problemsOf(status: number, text: string, fields: string[], tally: Map<string, number>): { problems: string[]; refused: boolean } {
  const problems: string[] = [];
  if (status >= 500) problems.push(`HTTP ${status}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { problems: [...problems, 'the answer is not JSON'], refused: true };
  }
  const answers = (Array.isArray(parsed) ? parsed : [parsed]) as Answer[];
  let refused = true;
  const codes = new Set<string>();
  for (const answer of answers) {
    if (answer === null || typeof answer !== 'object') {
      problems.push('an answer that is not an object');
      continue;
    }
    const errors = answer.errors ?? [];
    if (!Array.isArray(errors)) {
      problems.push('errors is not a list');
      continue;
    }
    const values = answer.data !== null && typeof answer.data === 'object' ? Object.values(answer.data) : [];
    const failed = new Set(errors.filter((error) => error?.path?.length === 1).map((error) => String(error.path![0])));
    const whole = errors.some((error) => error?.path === undefined) || fields.every((field) => failed.has(field));
    if (errors.length === 0 || values.some((value) => value !== null) || !whole) refused = false;
    for (const error of errors) {
      const code = error?.extensions?.code;
      if (typeof code !== 'string') problems.push(`an error without a code: ${JSON.stringify(error).slice(0, 200)}`);
      else if (code === 'INTERNAL') problems.push(`INTERNAL: ${error.message}`);
      else if (!TABLE.has(code)) problems.push(`undocumented code ${code}: ${error.message?.slice(0, 200)}`);
      else codes.add(code);
      // Where it was refused: before execution, or by a resolver (the field's path).
      const where = `${String(code)}${error?.path ? ' (field)' : ''}`;
      tally.set(where, (tally.get(where) ?? 0) + 1);
    }
  }
  if (codes.size > 0 && ![...codes].some((code) => TABLE.get(code)!.has(status))) problems.push(`HTTP ${status} for ${[...codes].join(', ')} (the table says ${[...codes].map((c) => [...TABLE.get(c)!].join('/')).join(', ')})`);
  if (codes.size === 0 && problems.length === 0 && status !== 200) problems.push(`HTTP ${status} without an error`);
  return { problems, refused };
}

describe('fuzz: damaged requests to every mutation answer documented codes and append nothing when refused', () => {
  beforeAll(async () => {
    server = await startTestServer({ CLOCK: 'manual', BILLING_CLOCK_INTERVAL_MS: '3600000' });
    for (const query of [
      'mutation { createTax(input: {code: "vat", name: "VAT", rate: "20"}) { tax { code } } }',
      'mutation { createBillableMetric(input: {code: "calls", name: "Calls", aggregationType: COUNT}) { billableMetric { code } } }',
      'mutation { createBillableMetric(input: {code: "seats", name: "Seats", aggregationType: SUM, fieldName: "n"}) { billableMetric { code } } }',
      'mutation { createPlan(input: {code: "basic", name: "Basic", interval: MONTHLY, amountCents: "1000", amountCurrency: "EUR", taxCodes: ["vat"], charges: [{billableMetricCode: "calls", chargeModel: STANDARD, properties: {amount: "1"}}]}) { plan { code } } }',
      'mutation { createCustomer(input: {externalId: "cus_1", currency: "EUR"}) { customer { externalId } } }',
      'mutation { createSubscription(input: {externalId: "sub_1", externalCustomerId: "cus_1", planCode: "basic"}) { subscription { status } } }',
    ]) {
      const result = await server.gql(query);
      expect(result.errors, query).toBeUndefined();
    }
    await server.settle();
  });
  afterAll(async () => server.close());

  const mutations = Object.values(schema.getMutationType()!.getFields()) as Mutation[];

  it('the schema has mutations, and the README table its codes', () => {
    expect(mutations.length).toBeGreaterThan(10);
    for (const code of ['VALIDATION', 'BAD_REQUEST', 'QUERY_TOO_COMPLEX', 'INTERNAL']) expect(TABLE.has(code), code).toBe(true);
  });

  it(`${RUNS} damaged requests (seed ${SEED}): never 5xx or INTERNAL, documented codes only, nothing appended when refused`, async () => {
    const organizationId = await organizationIdOf(server);
    const keys: Record<Key, string> = { organization: server.apiKey, admin: ADMIN_KEY, unknown: 'unknown-key-0123456789abcdef0123456789' };
    // Every (mutation, damage) pair gets its share, drawn from its own seed; sent interleaved.
    const cells = mutations.flatMap((m) => KINDS.map((kind) => ({ m, kind })));
    const perCell = Math.ceil(RUNS / cells.length);
    const drawn = cells.map(({ m, kind }, i) => fc.sample(caseFor(m, kind, organizationId), { numRuns: perCell, seed: SEED + i }));
    const cases = Array.from({ length: perCell }, (_, round) => drawn.map((list) => list[round]!)).flat();
    expect(cases.length).toBeGreaterThanOrEqual(RUNS);
    // Drawing blocked the event loop (seconds at soak size): let both ends drop the keep-alive sockets that timed
    // out meanwhile, so the first request is not sent on one being closed.
    await new Promise((resolve) => setTimeout(resolve, 200));

    const failures: Failure[] = [];
    const seen = new Map<string, number>();
    const started = performance.now();
    let refusedCount = 0;
    const answered = new Map<Kind, number>();
    const tally = new Map<string, number>();
    const slowest: { ms: number; what: string }[] = [];
    for (const [index, c] of cases.entries()) {
      const body = c.body();
      const sent = performance.now();
      const head = await server.system.app.deps.eventStore.headPosition();
      let status = 0;
      let text = '';
      try {
        const response = await fetch(`${server.url}/graphql`, {
          method: 'POST',
          headers: { 'content-type': c.contentType, authorization: `Bearer ${keys[c.key]}` },
          body: body as BodyInit,
        });
        status = response.status;
        text = await response.text();
      } catch (error) {
        text = `<no answer: ${String(error)} (${String((error as Error).cause)})>`;
      }
      const { problems, refused } = problemsOf(status, text, c.fields, tally);
      if (refused) {
        refusedCount += 1;
        const after = await server.system.app.deps.eventStore.headPosition();
        if (after !== head) problems.push(`appended (head ${head} → ${after}) by a refused request`);
      } else answered.set(c.kind, (answered.get(c.kind) ?? 0) + 1);
      slowest.push({ ms: performance.now() - sent, what: `#${index} ${c.mutation}/${c.kind}` });
      if (slowest.length > 10) slowest.sort((a, b) => b.ms - a.ms).pop();
      seen.set(`${c.mutation}/${c.kind}`, (seen.get(`${c.mutation}/${c.kind}`) ?? 0) + 1);
      for (const problem of problems) {
        failures.push({ index, mutation: c.mutation, kind: c.kind, key: c.key, mode: c.mode, problem, request: snippet(body), answer: `HTTP ${status} ${text.slice(0, 400)}` });
      }
    }
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    console.log(`fuzz: ${cases.length} requests in ${seconds} s (seed ${SEED}), ${refusedCount} refused as a whole, ${failures.length} problems; answered (a field at least) per damage: ${JSON.stringify(Object.fromEntries(answered))}; codes: ${JSON.stringify(Object.fromEntries([...tally].sort()))}; slowest: ${slowest
        .sort((a, b) => b.ms - a.ms)
        .slice(0, 5)
        .map((s) => `${s.what} ${Math.round(s.ms)} ms`)
        .join(', ')}`);

    // Every mutation met every damage.
    for (const { m, kind } of cells) expect(seen.get(`${m.name}/${kind}`), `${m.name}/${kind}`).toBe(perCell);
    // Most are refused, many of them by the resolvers themselves (errors with a path): the damage reaches past the
    // GraphQL layer, into the domain's own checks.
    expect(refusedCount).toBeGreaterThan(cases.length / 2);
    expect([...tally].filter(([where]) => where.endsWith('(field)')).reduce((sum, [, n]) => sum + n, 0)).toBeGreaterThan(cases.length / 10);

    const distinct = new Map<string, Failure>();
    for (const failure of failures) {
      const key = `${failure.mutation}/${failure.kind}/${failure.problem.replace(/\d+/g, 'N').slice(0, 80)}`;
      if (!distinct.has(key)) distinct.set(key, failure);
    }
    const report = [...distinct.values()].slice(0, 20).map((f) => `#${f.index} ${f.mutation} ${f.kind} (${f.mode}, ${f.key} key): ${f.problem}\n    request: ${f.request}\n    answer: ${f.answer}`);
    expect(failures.length, `seed ${SEED} (FUZZ_SEED=${SEED} to replay): ${failures.length} problems, ${distinct.size} distinct:\n${report.join('\n')}`).toBe(0);
  }, SOAK ? 900_000 : 180_000);
});
