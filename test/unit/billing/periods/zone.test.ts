import fc from 'fast-check';
import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { localEpochDay, offsetMs, startOfLocalDay, toMillis } from '../../../../src/billing/periods/zone.ts';
import { toEpochDay } from '../../../../src/billing/periods/civilDate.ts';

/** The zone helpers are memoized and take a fast path for stored instants: both must answer exactly as luxon does. */
const ZONES = ['UTC', 'America/New_York', 'Europe/Paris', 'Asia/Kolkata', 'Australia/Lord_Howe', 'Asia/Kathmandu', 'Pacific/Chatham'];
const instant = fc.integer({ min: Date.parse('1990-01-01T00:00:00Z'), max: Date.parse('2060-01-01T00:00:00Z') });

describe('zone helpers', () => {
  it('toMillis reads an ISO instant as luxon does, and refuses a day that does not exist', () => {
    fc.assert(
      fc.property(instant, (ms) => {
        const iso = new Date(ms).toISOString();
        expect(toMillis(iso)).toBe(DateTime.fromISO(iso, { zone: 'utc' }).toMillis());
      }),
    );
    // Date.parse accepts these (it rolls over); luxon, and so toMillis, does not.
    for (const bad of ['2024-02-30T00:00:00.000Z', '2023-02-29T12:00:00.000Z', '2024-04-31T00:00:00.000Z']) expect(() => toMillis(bad)).toThrow(/invalid ISO-8601/);
    expect(toMillis('2024-02-29T23:59:59.999Z')).toBe(Date.UTC(2024, 1, 29, 23, 59, 59, 999));
    expect(toMillis('2024-03-01T01:00:00+01:00')).toBe(Date.UTC(2024, 2, 1, 0, 0, 0));
  });

  it('memoized local days, midnights and offsets equal luxon, asked once or many times', () => {
    fc.assert(
      fc.property(instant, fc.constantFrom(...ZONES), fc.integer({ min: 1, max: 3 }), (ms, zone, times) => {
        const local = DateTime.fromMillis(ms, { zone });
        const day = toEpochDay({ year: local.year, month: local.month, day: local.day });
        const midnight = DateTime.fromObject({ year: local.year, month: local.month, day: local.day }, { zone }).toMillis();
        for (let i = 0; i < times; i += 1) {
          expect(localEpochDay(ms, zone)).toBe(day);
          expect(startOfLocalDay(day, zone)).toBe(midnight);
          expect(offsetMs(ms, zone)).toBe(local.offset * 60_000);
        }
      }),
      { numRuns: 500 },
    );
  });
});
