import type { CivilDate } from './civilDate.ts';
import { clampedDayInMonth, fromEpochDay, isoWeekday, monthIndex, toEpochDay } from './civilDate.ts';
import type { BillingTime, PlanInterval } from './types.ts';

/**
 * A whole (unclamped) period in local calendar days: `first` is its first day, `next` the first day of the
 * following period, both epoch days. Its length in days is `next - first`.
 */
export interface DayRange {
  readonly first: number;
  readonly next: number;
}

const MONTHS_PER_PERIOD: Readonly<Record<Exclude<PlanInterval, 'WEEKLY'>, number>> = {
  MONTHLY: 1,
  QUARTERLY: 3,
  SEMIANNUAL: 6,
  YEARLY: 12,
};

/**
 * The whole period of `interval` that contains local day `day`.
 * Calendar periods: Monday..Sunday weeks, months, quarters from Jan/Apr/Jul/Oct, halves from Jan/Jul, years.
 * Anniversary periods start on `anchor`'s weekday (weekly) or on `anchor`'s day of month every 1/3/6/12 months
 * counted from `anchor`'s month.
 */
export function rangeContaining(
  interval: PlanInterval,
  billingTime: BillingTime,
  anchor: CivilDate,
  day: number,
): DayRange {
  if (interval === 'WEEKLY') {
    const startWeekday = billingTime === 'CALENDAR' ? 1 : isoWeekday(toEpochDay(anchor));
    const first = day - ((isoWeekday(day) - startWeekday + 7) % 7);
    return { first, next: first + 7 };
  }
  const step = MONTHS_PER_PERIOD[interval];
  const periodAnchor = billingTime === 'CALENDAR' ? { year: 0, month: 1, day: 1 } : anchor;
  return monthlyStepRange(step, periodAnchor, day);
}

/**
 * Periods starting every `step` months on `anchor.day`, counted from `anchor`'s month.
 * NOTE: each start is re-derived from the anchor and clamped to the month's last day (Jan 31 → Feb 28 → Mar 31),
 * so the period before a clamped start ends a day early and a short month never drags the following ones.
 */
function monthlyStepRange(step: number, anchor: CivilDate, day: number): DayRange {
  const anchorMonth = monthIndex(anchor);
  let k = Math.floor((monthIndex(fromEpochDay(day)) - anchorMonth) / step);
  let first = clampedDayInMonth(anchorMonth + k * step, anchor.day);
  if (first > day) {
    k -= 1;
    first = clampedDayInMonth(anchorMonth + k * step, anchor.day);
  }
  return { first, next: clampedDayInMonth(anchorMonth + (k + 1) * step, anchor.day) };
}
