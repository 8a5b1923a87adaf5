/**
 * Validation of one ingested usage event (pure: `now` and the matched metric arrive as arguments). A bad event
 * is REJECTED with a code and a message; it never fails the rest of its batch.
 */
import { BODY_LIMITS } from '../shared/limits.ts';

export type UsageEventInput = {
  transactionId?: unknown;
  externalSubscriptionId?: unknown;
  code?: unknown;
  timestamp?: unknown;
  properties?: unknown;
  preciseTotalAmountCents?: unknown;
};

export type ValidUsageEvent = {
  transactionId: string;
  externalSubscriptionId: string;
  code: string;
  /** ISO-8601 UTC with milliseconds. */
  timestamp: string;
  properties: Record<string, unknown>;
  preciseTotalAmountCents: string | null;
};

export type Rejection = { code: RejectionCode; message: string };
export type RejectionCode =
  | 'MISSING_FIELD'
  | 'INVALID_FIELD'
  | 'INVALID_TIMESTAMP'
  | 'TIMESTAMP_OUT_OF_RANGE'
  | 'INVALID_PROPERTIES'
  | 'VALUE_NOT_DECIMAL'
  | 'TOO_LARGE';

/** The metric an event's code matched, as far as validation needs it. */
export type MetricForValidation = { aggregationType: string; fieldName: string | null };

export type IngestionWindow = { now: Date; lateWindowDays: number; futureToleranceMs: number };

const DECIMAL = /^-?\d+(\.\d+)?$/;
const UNIX_SECONDS = /^\d{1,12}(\.\d+)?$/;
const MAX_ID_LENGTH = 255;
const MAX_PROPERTIES_BYTES = BODY_LIMITS.propertiesBytes;
/** Nesting and size of `properties` a projection can always store and read back (SQLite's JSON parser stops at 1,000 levels). */
export const MAX_PROPERTIES_DEPTH = 10;
export const MAX_PROPERTIES_ENTRIES = 1_000;
const NUMERIC_AGGREGATIONS = new Set(['SUM', 'MAX', 'LATEST', 'WEIGHTED_SUM']);

function requiredId(input: UsageEventInput, field: 'transactionId' | 'externalSubscriptionId' | 'code'): string | Rejection {
  const value = input[field];
  if (value === undefined || value === null || value === '') return { code: 'MISSING_FIELD', message: `${field} is required` };
  if (typeof value !== 'string' || value.trim() !== value) return { code: 'INVALID_FIELD', message: `${field} must be a string without surrounding spaces` };
  if (!value.isWellFormed()) return illFormed(field);
  if (value.length > MAX_ID_LENGTH) return { code: 'TOO_LARGE', message: `${field} is longer than ${MAX_ID_LENGTH} characters` };
  return value;
}

/** Unix seconds (number or string, fractional allowed, as Lago) or ISO-8601; absent → now. */
export function parseTimestamp(value: unknown, now: Date): Date | null {
  if (value === undefined || value === null || value === '') return now;
  const text = typeof value === 'number' ? (Number.isFinite(value) ? value.toFixed(6) : '') : typeof value === 'string' ? value : '';
  if (UNIX_SECONDS.test(text)) {
    const [seconds, fraction = ''] = text.split('.');
    // Integer arithmetic on the text keeps millisecond precision without a float of the whole instant.
    return new Date(Number(seconds) * 1000 + Number(fraction.padEnd(3, '0').slice(0, 3)));
  }
  if (!/^\d{4}-\d{2}-\d{2}T/.test(text)) return null;
  const date = new Date(text);
  return Number.isNaN(date.getTime()) ? null : date;
}

/**
 * The nesting depth and number of keys and elements of a JSON value, walked without recursion and stopped as soon
 * as either limit is passed (a value nested 100,000 deep is refused in as many steps as the limit).
 */
function shapeFits(value: object): boolean {
  let entries = 0;
  const stack: { value: unknown; depth: number }[] = [{ value, depth: 1 }];
  while (stack.length > 0) {
    const { value: current, depth } = stack.pop()!;
    if (typeof current !== 'object' || current === null) continue;
    if (depth > MAX_PROPERTIES_DEPTH) return false;
    const children = Array.isArray(current) ? current : Object.values(current);
    entries += children.length;
    if (entries > MAX_PROPERTIES_ENTRIES) return false;
    for (const child of children) if (typeof child === 'object' && child !== null) stack.push({ value: child, depth: depth + 1 });
  }
  return true;
}

function checkProperties(value: unknown, metric: MetricForValidation | null): Record<string, unknown> | Rejection {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) return { code: 'INVALID_PROPERTIES', message: 'properties must be a JSON object' };
  if (!shapeFits(value)) {
    return { code: 'INVALID_PROPERTIES', message: `properties may nest at most ${MAX_PROPERTIES_DEPTH} levels and hold at most ${MAX_PROPERTIES_ENTRIES} keys and elements` };
  }
  const json = JSON.stringify(value);
  if (json.length > MAX_PROPERTIES_BYTES) return { code: 'TOO_LARGE', message: `properties exceed ${MAX_PROPERTIES_BYTES} bytes` };
  if (hasLoneSurrogate(json)) return illFormed('properties');
  const properties = value as Record<string, unknown>;
  if (metric?.fieldName && NUMERIC_AGGREGATIONS.has(metric.aggregationType)) {
    const field = properties[metric.fieldName];
    const text = typeof field === 'number' && Number.isFinite(field) ? String(field) : field;
    if (field !== undefined && field !== null && !(typeof text === 'string' && DECIMAL.test(text))) {
      return { code: 'VALUE_NOT_DECIMAL', message: `properties.${metric.fieldName} must be a decimal for a ${metric.aggregationType} metric` };
    }
  }
  return properties;
}

/** A string with a lone UTF-16 surrogate (JSON variables can carry one): never stored, never put in a stream name. */
const illFormed = (field: string): Rejection => ({ code: 'INVALID_FIELD', message: `${field} must be well-formed Unicode (a lone UTF-16 surrogate was sent)` });
const illFormedText = (value: unknown): boolean => typeof value === 'string' && !value.isWellFormed();

/**
 * Whether `JSON.stringify` output holds an escaped lone surrogate (`\udXXX`): it escapes exactly those (well-formed
 * pairs and every other character stay as they are), in keys and string values alike. One scan of the text already
 * made for the size check, no allocation: an event's properties are checked at no cost beyond that.
 */
function hasLoneSurrogate(json: string): boolean {
  for (let at = json.indexOf('\\ud'); at !== -1; at = json.indexOf('\\ud', at + 3)) {
    let before = 0;
    while (at - before - 1 >= 0 && json.charCodeAt(at - before - 1) === 92) before += 1;
    // An even number of backslashes before it: this one starts an escape (else it is an escaped backslash).
    if (before % 2 === 0) return true;
  }
  return false;
}

const isRejection = (value: unknown): value is Rejection => typeof value === 'object' && value !== null && 'code' in value && 'message' in value;

/** Validates one event against the ingestion window and its metric (when the code matched one). */
export function validateUsageEvent(input: UsageEventInput, metric: MetricForValidation | null, window: IngestionWindow): ValidUsageEvent | Rejection {
  const transactionId = requiredId(input, 'transactionId');
  if (isRejection(transactionId)) return transactionId;
  const externalSubscriptionId = requiredId(input, 'externalSubscriptionId');
  if (isRejection(externalSubscriptionId)) return externalSubscriptionId;
  const code = requiredId(input, 'code');
  if (isRejection(code)) return code;
  if (illFormedText(input.timestamp)) return illFormed('timestamp');
  const timestamp = parseTimestamp(input.timestamp, window.now);
  if (timestamp === null) return { code: 'INVALID_TIMESTAMP', message: 'timestamp must be Unix seconds (fractional allowed) or ISO-8601' };
  const earliest = window.now.getTime() - window.lateWindowDays * 86_400_000;
  const latest = window.now.getTime() + window.futureToleranceMs;
  if (timestamp.getTime() < earliest || timestamp.getTime() > latest) {
    return { code: 'TIMESTAMP_OUT_OF_RANGE', message: `timestamp must be within the last ${window.lateWindowDays} days and at most ${window.futureToleranceMs / 60_000} minutes ahead` };
  }
  const properties = checkProperties(input.properties, metric);
  if (isRejection(properties)) return properties;
  const precise = input.preciseTotalAmountCents;
  if (illFormedText(precise)) return illFormed('preciseTotalAmountCents');
  if (precise !== undefined && precise !== null && !(typeof precise === 'string' && DECIMAL.test(precise))) {
    return { code: 'VALUE_NOT_DECIMAL', message: 'preciseTotalAmountCents must be a decimal string' };
  }
  return { transactionId, externalSubscriptionId, code, timestamp: timestamp.toISOString(), properties, preciseTotalAmountCents: (precise as string | null | undefined) ?? null };
}

export { isRejection };
