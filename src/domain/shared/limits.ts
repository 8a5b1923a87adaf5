/**
 * How much one request may ask for, in one place (README "Limits"). Every cap is checked before the work it
 * bounds, and a request past one is refused with a typed error naming what was too large: lists in inputs with
 * VALIDATION and `extensions.field`, the shape of an operation with QUERY_TOO_COMPLEX, the body with
 * REQUEST_ENTITY_TOO_LARGE. Lago itself sets none of the list caps; they are far above what a real catalog uses
 * and low enough that validating the largest input allowed takes milliseconds.
 */
export const LIST_LIMITS = {
  /** Usage thresholds of a plan (and of a subscription's plan overrides). */
  usageThresholds: 100,
  /** Charges of a plan (and charge overrides of a subscription). */
  charges: 100,
  /** Filters of one charge. */
  chargeFilters: 100,
  /** Filter keys a billable metric declares (and keys of one charge filter's `values`). */
  filterKeys: 50,
  /** Values of one filter key (declared by a metric, or listed by a charge filter). */
  filterValues: 1_000,
  /** Ranges of a GRADUATED, GRADUATED_PERCENTAGE or VOLUME charge. */
  chargeRanges: 100,
  /** `pricingGroupKeys` of a charge. */
  pricingGroupKeys: 20,
  /** Tax codes of one list (customer, plan, charge, minimum commitment, overrides). */
  taxCodes: 50,
  /** Metadata entries of a customer (Lago's own limit, `Metadata::CustomerMetadata`). */
  customerMetadata: 5,
  /** Plan codes, or billable metric codes, a coupon is limited to. */
  couponTargets: 100,
} as const;

/** A list input longer than its cap, as the message of the VALIDATION error naming it. */
export const tooMany = (field: string, cap: number, what: string): string => `${field}: at most ${cap.toLocaleString('en-US')} ${what}`;

/**
 * The shape of one GraphQL request, checked before it runs (graphql-armor rules and our own): past any of these
 * the request is refused with QUERY_TOO_COMPLEX (HTTP 400) before any resolver runs.
 */
export const QUERY_LIMITS = {
  /** Nesting of braces, brackets and parentheses in the document (selections, list and object literals), checked
   * on the text before parsing: the parser recurses once per level. */
  nesting: 64,
  /** Field depth of an operation (introspection aside). */
  depth: 12,
  /** Aliased fields in an operation. */
  aliases: 20,
  /** graphql-armor's cost estimate (objects 2, scalars 1, ×1.5 per level, × `first`). */
  cost: 20_000,
  /** Lexical tokens of the document: room for a literal batch of several thousand events; send large batches
   * as variables. */
  tokens: 200_000,
  /** Directives in the document. */
  directives: 50,
  /** Items of one list in the variables, and of all of them together: checked on the raw variables, following the
   * operation's types (a JSON value is not walked), before they are coerced (VALIDATION naming the variable). Twice
   * the largest list a field takes (a batch of 10,000 events; a metric's 50 keys × 1,000 values in all), so a list
   * a little past a field's own cap still gets that field's error. */
  listItems: 20_000,
  listItemsTotal: 100_000,
  /** Fields that ingest usage (`createEvent`, `createEvents`) in one operation: each is a batch of its own, so
   * two of them would pass the per-batch cap together. */
  ingestionFields: 1,
} as const;

/** The usage fields `QUERY_LIMITS.ingestionFields` counts. */
export const INGESTION_FIELDS: ReadonlySet<string> = new Set(['createEvent', 'createEvents']);

/**
 * A request body, in bytes, and one ingestion batch. A batch is bounded by both: at most `eventsPerBatch` events
 * and a body of at most `bodyBytes`, so a full batch of 10,000 events averages at most 2.5 KB per event, and
 * events with properties near their own 16 KB cap fit about 1,500 to a batch.
 */
export const BODY_LIMITS = {
  bodyBytes: 25_000_000,
  eventsPerBatch: 10_000,
  /** The JSON of one event's `properties`. */
  propertiesBytes: 16_384,
} as const;
