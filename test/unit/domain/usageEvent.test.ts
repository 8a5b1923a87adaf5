import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseTimestamp, validateUsageEvent } from '../../../src/domain/usage/validateEvent.ts';

const now = new Date('2030-03-10T12:00:00.000Z');
const window = { now, lateWindowDays: 35, futureToleranceMs: 5 * 60_000 };
const base = { transactionId: 'tx1', externalSubscriptionId: 'sub1', code: 'calls' };
const sum = { aggregationType: 'SUM', fieldName: 'gb' };

describe('usage event validation', () => {
  it('accepts a minimal event, stamped now', () => {
    expect(validateUsageEvent(base, null, window)).toEqual({ ...base, timestamp: now.toISOString(), properties: {}, preciseTotalAmountCents: null });
  });

  it('reads fractional Unix seconds, as number or string, to the millisecond', () => {
    const seconds = Date.UTC(2030, 2, 11, 12) / 1000;
    expect(parseTimestamp(seconds + 0.123, now)?.toISOString()).toBe('2030-03-11T12:00:00.123Z');
    expect(parseTimestamp(`${seconds}.1239`, now)?.toISOString()).toBe('2030-03-11T12:00:00.123Z');
    expect(parseTimestamp('2030-03-10T11:00:00+01:00', now)?.toISOString()).toBe('2030-03-10T10:00:00.000Z');
  });

  const rejected: [string, Record<string, unknown>, string][] = [
    ['a missing transactionId', { ...base, transactionId: undefined }, 'MISSING_FIELD'],
    ['an empty code', { ...base, code: '' }, 'MISSING_FIELD'],
    ['a padded externalSubscriptionId', { ...base, externalSubscriptionId: ' sub1' }, 'INVALID_FIELD'],
    ['a 256-character transactionId', { ...base, transactionId: 'x'.repeat(256) }, 'TOO_LARGE'],
    ['a timestamp in words', { ...base, timestamp: 'yesterday' }, 'INVALID_TIMESTAMP'],
    ['a negative timestamp', { ...base, timestamp: -5 }, 'INVALID_TIMESTAMP'],
    ['a timestamp a second past the 35-day window', { ...base, timestamp: '2030-02-03T11:59:59Z' }, 'TIMESTAMP_OUT_OF_RANGE'],
    ['a timestamp more than 5 minutes ahead', { ...base, timestamp: '2030-03-10T12:05:01Z' }, 'TIMESTAMP_OUT_OF_RANGE'],
    ['properties that are an array', { ...base, properties: [1, 2] }, 'INVALID_PROPERTIES'],
    ['properties over 16 KiB', { ...base, properties: { blob: 'x'.repeat(20_000) } }, 'TOO_LARGE'],
    ['a preciseTotalAmountCents in exponent notation', { ...base, preciseTotalAmountCents: '1e3' }, 'VALUE_NOT_DECIMAL'],
    ['a lone surrogate in the transactionId', { ...base, transactionId: 'tx\ud800' }, 'INVALID_FIELD'],
    ['a lone surrogate in the externalSubscriptionId', { ...base, externalSubscriptionId: '\udc00' }, 'INVALID_FIELD'],
    ['a lone surrogate in the code', { ...base, code: 'calls\udbff' }, 'INVALID_FIELD'],
    ['a lone surrogate in a timestamp', { ...base, timestamp: '2030-03-10T12:00:00Z\ud800' }, 'INVALID_FIELD'],
    ['a lone surrogate in preciseTotalAmountCents', { ...base, preciseTotalAmountCents: '1\ud800' }, 'INVALID_FIELD'],
  ];
  for (const [label, input, code] of rejected) {
    it(`rejects ${label} with ${code}`, () => {
      expect(validateUsageEvent(input, null, window)).toMatchObject({ code });
    });
  }

  it('accepts the edges of the window: exactly 35 days late and exactly 5 minutes ahead', () => {
    expect(validateUsageEvent({ ...base, timestamp: '2030-02-03T12:00:00Z' }, null, window)).toMatchObject({ timestamp: '2030-02-03T12:00:00.000Z' });
    expect(validateUsageEvent({ ...base, timestamp: '2030-03-10T12:05:00Z' }, null, window)).toMatchObject({ timestamp: '2030-03-10T12:05:00.000Z' });
  });

  it('requires a decimal for SUM/MAX/LATEST/WEIGHTED_SUM metrics, as string or number', () => {
    expect(validateUsageEvent({ ...base, properties: { gb: '12.5' } }, sum, window)).toMatchObject({ properties: { gb: '12.5' } });
    expect(validateUsageEvent({ ...base, properties: { gb: 3 } }, sum, window)).toMatchObject({ properties: { gb: 3 } });
    expect(validateUsageEvent({ ...base, properties: { gb: '1e3' } }, sum, window)).toMatchObject({ code: 'VALUE_NOT_DECIMAL' });
    expect(validateUsageEvent({ ...base, properties: { gb: '5.' } }, sum, window)).toMatchObject({ code: 'VALUE_NOT_DECIMAL' });
    expect(validateUsageEvent({ ...base, properties: { gb: 'lots' } }, { aggregationType: 'COUNT', fieldName: null }, window)).not.toHaveProperty('message');
  });

  it('rejects a lone surrogate anywhere in properties (keys, values, nested) with INVALID_FIELD, whatever the backslashes around it (property)', () => {
    const piece = fc.constantFrom('a', '\\', '\\u', 'ud800', '\ud800', '\udfff', '\ud83d\ude00', '"', 'é');
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 8 }), fc.boolean(), fc.boolean(), (pieces, asKey, nested) => {
        const text = pieces.join('');
        const leaf = asKey ? { [text]: 1 } : { v: text };
        const result = validateUsageEvent({ ...base, properties: nested ? { outer: [leaf] } : leaf }, null, window);
        if (text.isWellFormed()) expect(result).toHaveProperty('properties');
        else expect(result).toMatchObject({ code: 'INVALID_FIELD', message: expect.stringMatching(/^properties/) });
      }),
    );
  });

  it('accepts a numeric field that is absent (it simply does not count, as in Lago)', () => {
    expect(validateUsageEvent({ ...base, properties: { region: 'eu' } }, sum, window)).not.toHaveProperty('message');
  });

  it('places every accepted Unix timestamp exactly where its digits say (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 35 * 86_400 - 1 }), fc.integer({ min: 0, max: 999 }), (secondsAgo, ms) => {
        const seconds = Math.floor(now.getTime() / 1000) - secondsAgo;
        const text = `${seconds}.${String(ms).padStart(3, '0')}`;
        const result = validateUsageEvent({ ...base, timestamp: text }, null, { ...window, now: new Date((seconds + secondsAgo) * 1000 + 999) });
        expect(result).toMatchObject({ timestamp: new Date(seconds * 1000 + ms).toISOString() });
      }),
    );
  });
});
