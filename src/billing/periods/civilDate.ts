/**
 * Calendar-date arithmetic with no time and no zone. Days are counted as "epoch days" (days since 1970-01-01 in
 * the proleptic Gregorian calendar), which makes day differences and comparisons plain integer operations.
 */

/** A calendar date: the unit Lago's period rules are written in. */
export interface CivilDate {
  readonly year: number;
  readonly month: number;
  readonly day: number;
}

const MONTH_LENGTHS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31] as const;

/** Whether `year` is a Gregorian leap year. */
export function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

/** Number of days in `month` (1–12) of `year`. */
export function daysInMonth(year: number, month: number): number {
  if (month === 2 && isLeapYear(year)) return 29;
  return MONTH_LENGTHS[month - 1] ?? 31;
}

/** Days since 1970-01-01 of a calendar date (H. Hinnant's days_from_civil). */
export function toEpochDay(date: CivilDate): number {
  const y = date.month <= 2 ? date.year - 1 : date.year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const shiftedMonth = (date.month + 9) % 12;
  const dayOfYear = Math.floor((153 * shiftedMonth + 2) / 5) + date.day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146097 + dayOfEra - 719468;
}

/** The calendar date `epochDay` days after 1970-01-01 (H. Hinnant's civil_from_days). */
export function fromEpochDay(epochDay: number): CivilDate {
  const z = epochDay + 719468;
  const era = Math.floor(z / 146097);
  const dayOfEra = z - era * 146097;
  const yearOfEra = Math.floor(
    (dayOfEra - Math.floor(dayOfEra / 1460) + Math.floor(dayOfEra / 36524) - Math.floor(dayOfEra / 146096)) / 365,
  );
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const shiftedMonth = Math.floor((5 * dayOfYear + 2) / 153);
  const day = dayOfYear - Math.floor((153 * shiftedMonth + 2) / 5) + 1;
  const month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9;
  const year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);
  return { year, month, day };
}

/** ISO weekday of an epoch day: 1 = Monday … 7 = Sunday (1970-01-01 was a Thursday). */
export function isoWeekday(epochDay: number): number {
  return (((epochDay + 3) % 7) + 7) % 7 + 1;
}

/** Months since year 0 (`year * 12 + month - 1`), so that month arithmetic is integer arithmetic. */
export function monthIndex(date: CivilDate): number {
  return date.year * 12 + date.month - 1;
}

/**
 * The epoch day of `day` in the month `index` (see `monthIndex`), clamped to the month's last day.
 * NOTE: this clamp is Lago's anniversary rule: an anniversary on the 31st falls on Feb 28/29, Apr 30, …
 */
export function clampedDayInMonth(index: number, day: number): number {
  const year = Math.floor(index / 12);
  const month = index - year * 12 + 1;
  return toEpochDay({ year, month, day: Math.min(day, daysInMonth(year, month)) });
}

/** `YYYY-MM-DD` of an epoch day. */
export function formatEpochDay(epochDay: number): string {
  const { year, month, day } = fromEpochDay(epochDay);
  return `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}
