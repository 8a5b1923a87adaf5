import { DateTime, FixedOffsetZone, IANAZone, type Zone } from 'luxon';
import { ValidationError } from '../../domain/shared/errors.ts';
import { fromEpochDay, toEpochDay } from './civilDate.ts';
import type { Instant } from './types.ts';

/** Milliseconds in a 24-hour day. */
export const DAY_MS = 86_400_000;

// UTC needs no Intl lookups at all (luxon's IANA zones compute every offset through `Intl.DateTimeFormat`).
const zones = new Map<string, Zone>([['UTC', FixedOffsetZone.utcInstance], ['Etc/UTC', FixedOffsetZone.utcInstance]]);

/**
 * The luxon zone for a valid IANA name, memoized: luxon validates a zone given by name on every call by building an
 * `Intl.DateTimeFormat`, which dominated the usage projection's profile (a third of its time).
 */
function zoneOf(timezone: string): Zone {
  let zone = zones.get(timezone);
  if (zone === undefined) {
    if (!IANAZone.isValidZone(timezone)) return IANAZone.create(timezone);
    zones.set(timezone, (zone = IANAZone.create(timezone)));
  }
  return zone;
}

/** Throws a `ValidationError` unless `timezone` is a valid IANA zone name. */
export function assertTimezone(timezone: string, field = 'timezone'): void {
  if (!zones.has(timezone) && !IANAZone.isValidZone(timezone)) throw new ValidationError(`unknown IANA timezone "${timezone}"`, field);
}

/** Epoch milliseconds of an instant; a string without offset is read as UTC so the result never depends on the host. */
export function toMillis(instant: Instant, field = 'instant'): number {
  if (instant instanceof Date) {
    const ms = instant.getTime();
    if (Number.isFinite(ms)) return ms;
  } else if (instant.length === 24 && instant.endsWith('Z')) {
    // What the engine stores (`toISOString`): exact when it prints back the same (Date.parse accepts February 30th).
    const ms = Date.parse(instant);
    if (Number.isFinite(ms) && new Date(ms).toISOString() === instant) return ms;
  }
  const ms = instant instanceof Date ? instant.getTime() : DateTime.fromISO(instant, { zone: 'utc' }).toMillis();
  if (!Number.isFinite(ms)) {
    throw new ValidationError(`invalid ISO-8601 instant ${JSON.stringify(String(instant))}`, field);
  }
  return ms;
}

/** UTC ISO-8601 string with milliseconds (`2024-01-31T18:29:59.999Z`). */
export function toIso(ms: number): string {
  return new Date(ms).toISOString();
}

/**
 * Pure functions of (number, timezone), memoized: luxon computes an IANA zone's offset through
 * `Intl.DateTimeFormat#formatToParts` (~5 µs), and a billing run asks the same few instants (period boundaries) for
 * every subscription of a timezone. Each cache is bounded (cleared when full).
 */
function memoized(compute: (value: number, timezone: string) => number): (value: number, timezone: string) => number {
  const caches = new Map<string, Map<number, number>>();
  return (value, timezone) => {
    if (zones.get(timezone) === FixedOffsetZone.utcInstance) return compute(value, timezone);
    let cache = caches.get(timezone);
    if (cache === undefined) {
      if (caches.size >= 1_000) caches.clear();
      caches.set(timezone, (cache = new Map()));
    }
    let result = cache.get(value);
    if (result === undefined) {
      if (cache.size >= 20_000) cache.clear();
      cache.set(value, (result = compute(value, timezone)));
    }
    return result;
  };
}

/** The epoch day of the calendar date that `ms` falls on in `timezone`. */
export const localEpochDay = memoized((ms, timezone) => {
  const local = DateTime.fromMillis(ms, { zone: zoneOf(timezone) });
  return toEpochDay({ year: local.year, month: local.month, day: local.day });
});

/**
 * The instant local midnight begins on `epochDay` in `timezone` (Lago's `customer_timezone_shift`).
 * Where a DST jump skips midnight, the day starts at the first wall-clock time that exists.
 */
export const startOfLocalDay = memoized((epochDay, timezone) => {
  const { year, month, day } = fromEpochDay(epochDay);
  return DateTime.fromObject({ year, month, day }, { zone: zoneOf(timezone) }).toMillis();
});

/** UTC offset of `timezone` at `ms`, in milliseconds (positive east of Greenwich). */
export const offsetMs = memoized((ms, timezone) => DateTime.fromMillis(ms, { zone: zoneOf(timezone) }).offset * 60_000);

/** Whether `ms` is exactly the start of a local day in `timezone`. */
export function isStartOfLocalDay(ms: number, timezone: string): boolean {
  return startOfLocalDay(localEpochDay(ms, timezone), timezone) === ms;
}
