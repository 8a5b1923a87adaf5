import type BigNumber from 'bignumber.js';
import { z } from 'zod';
import { LIST_LIMITS } from '../../shared/limits.ts';
import { amount, decimalOf, quantity } from './values.ts';

type RawRange = { fromValue: number | string; toValue: number | string | null };
type Convention = 'adjacent' | 'integer';
type Issue = { path: (string | number)[]; message: string };

/**
 * How one range must join the previous one's end.
 * - `GRADUATED` (graduated and graduated percentage): Lago's `Validators::RangeBoundsValidator` as
 *   `Charges::Validators::GraduatedService` runs it — each range starts at the previous `toValue` (adjacent,
 *   0–0.1, 0.1–1) or at it + 1 ("+1", 0–10, 11–20), the first at 0 or 1, and the two conventions may be mixed.
 *   The model then prices a mixed set as Lago does: adjacent only when every boundary is (§2.2, §9.2).
 * - `ONE_CONVENTION` (volume): the first range starts at 0 and all boundaries follow one convention.
 */
export type RangeRules = 'GRADUATED' | 'ONE_CONVENTION';

/** Bound checks of one range: only the last is unbounded, a bounded range ends above where it starts. */
function boundIssues(range: RawRange, i: number, last: boolean, rules: RangeRules): Issue[] {
  const from = decimalOf(range.fromValue);
  const to = range.toValue === null ? null : decimalOf(range.toValue);
  if (i === 0 && from !== null && !from.isZero() && !(rules === 'GRADUATED' && from.isEqualTo(1))) {
    return [{ path: [i, 'fromValue'], message: rules === 'GRADUATED' ? 'the first range must start at 0 or 1' : 'the first range must start at 0' }];
  }
  if (to === null && !last) return [{ path: [i, 'toValue'], message: 'only the last range may be unbounded (null)' }];
  if (to !== null && last) return [{ path: [i, 'toValue'], message: 'the last range must be unbounded (null)' }];
  if (to !== null && from !== null && !to.isGreaterThan(from)) return [{ path: [i, 'toValue'], message: 'must be greater than fromValue' }];
  return [];
}

/** Which §2.2 convention joins a range to the previous one's end, or `null` when it is a gap or an overlap. */
function conventionOf(from: BigNumber, previousTo: BigNumber, rules: RangeRules): Convention | null {
  if (from.isEqualTo(previousTo)) return 'adjacent';
  // NOTE: Lago's validator accepts "+1" after any bound (0–0.5, 1.5–∞); ours kept it to integer bounds for volume.
  if ((rules === 'GRADUATED' || previousTo.isInteger()) && from.isEqualTo(previousTo.plus(1))) return 'integer';
  return null;
}

/**
 * Ranges are contiguous and ordered: each starts at the previous `toValue` (adjacent) or at the previous
 * `toValue + 1` ("+1"), see `RangeRules` for which mixes and first bounds are accepted.
 */
export function rangeIssues(ranges: readonly RawRange[], rules: RangeRules = 'ONE_CONVENTION'): Issue[] {
  let convention: Convention | null = null;
  for (const [i, range] of ranges.entries()) {
    const issues = boundIssues(range, i, i === ranges.length - 1, rules);
    if (issues.length > 0) return issues;
    const previous = i > 0 ? decimalOf(ranges[i - 1]?.toValue) : null;
    const from = decimalOf(range.fromValue);
    if (previous === null || from === null) continue;
    const joined = conventionOf(from, previous, rules);
    const expected = rules === 'GRADUATED' || previous.isInteger() ? `${previous.toFixed()} or ${previous.plus(1).toFixed()}` : previous.toFixed();
    if (joined === null) return [{ path: [i, 'fromValue'], message: `must equal the previous toValue (${expected}): ranges are contiguous` }];
    if (rules === 'ONE_CONVENTION' && convention !== null && joined !== convention) {
      return [{ path: [i, 'fromValue'], message: 'mixes the adjacent (from = previous to) and integer (from = previous to + 1) conventions' }];
    }
    convention = joined;
  }
  return [];
}

/** An array of tiers `{fromValue, toValue, <price field>, flatAmount}` with the contiguity rules above. */
export function rangesOf<S extends z.ZodRawShape>(priceShape: S, rules: RangeRules) {
  const range = z.strictObject({
    fromValue: quantity(),
    toValue: quantity().nullish().transform((value) => value ?? null),
    ...priceShape,
    flatAmount: amount,
  });
  return z
    .array(range, { error: (issue) => (issue.input === undefined ? 'is required' : 'must be an array of ranges') })
    .min(1, 'must contain at least one range')
    .max(LIST_LIMITS.chargeRanges, `at most ${LIST_LIMITS.chargeRanges} ranges`)
    .superRefine((ranges, ctx) => {
      for (const issue of rangeIssues(ranges as unknown as RawRange[], rules)) ctx.addIssue({ code: 'custom', ...issue });
    });
}
