import { assertNotBefore, chargesRange, intervalRange, resolveSubscription } from './context.ts';
import type { CurrentBillingPeriod, Instant, Period, PeriodSubscription } from './types.ts';
import { localEpochDay, startOfLocalDay, toIso, toMillis } from './zone.ts';

/**
 * The plan-interval billing period containing `instant`: from 00:00:00.000 local time of its first day to
 * 23:59:59.999 local time of its last day, as UTC instants. The first period starts at the beginning of
 * `startedAt`'s local day (Lago's `from_datetime` clamp).
 * @throws ValidationError if `instant` is before the local day the subscription started, or inputs are invalid.
 */
export function periodContaining(subscription: PeriodSubscription, instant: Instant): Period {
  const sub = resolveSubscription(subscription);
  const ms = toMillis(instant);
  assertNotBefore(ms, sub.startDayMs, 'instant');
  const range = intervalRange(sub, localEpochDay(ms, sub.timezone));
  return {
    from: toIso(startOfLocalDay(Math.max(range.first, sub.startDay), sub.timezone)),
    to: toIso(startOfLocalDay(range.next, sub.timezone) - 1),
  };
}

/**
 * The charges (usage) period containing `instant`: monthly for yearly/semiannual plans with `billChargesMonthly`,
 * otherwise the plan-interval period. The first one starts at `startedAt` itself, not at its local midnight:
 * Lago clamps `charges_from_datetime` to the exact `started_at`, so no usage before the start is counted.
 * @throws ValidationError if `instant` is before `startedAt`, or inputs are invalid.
 */
export function chargesPeriodContaining(subscription: PeriodSubscription, instant: Instant): Period {
  const sub = resolveSubscription(subscription);
  const ms = toMillis(instant);
  assertNotBefore(ms, sub.startedAtMs, 'instant');
  const range = chargesRange(sub, localEpochDay(ms, sub.timezone));
  return {
    from: toIso(Math.max(startOfLocalDay(range.first, sub.timezone), sub.startedAtMs)),
    to: toIso(startOfLocalDay(range.next, sub.timezone) - 1),
  };
}

/**
 * `currentBillingPeriodStartedAt` / `EndingAt` at `now`: the charges period containing `now`, as Lago's
 * subscription serializer exposes it. `null` while the subscription has not started yet.
 */
export function currentBillingPeriod(subscription: PeriodSubscription, now: Instant): CurrentBillingPeriod | null {
  const sub = resolveSubscription(subscription);
  if (toMillis(now, 'now') < sub.startedAtMs) return null;
  const { from, to } = chargesPeriodContaining(subscription, now);
  return { startedAt: from, endingAt: to };
}

/**
 * The instant the next billing run for the subscription is due, strictly after `after`: local midnight of the
 * day following the end of the charges period (monthly for yearly/semiannual plans with `billChargesMonthly`)
 * that contains `after` — or that contains the start, while the subscription has not started.
 */
export function nextBillingDate(subscription: PeriodSubscription, after: Instant): string {
  const sub = resolveSubscription(subscription);
  const ms = Math.max(toMillis(after, 'after'), sub.startedAtMs);
  const range = chargesRange(sub, localEpochDay(ms, sub.timezone));
  return toIso(startOfLocalDay(range.next, sub.timezone));
}
