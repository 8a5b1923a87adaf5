import { describe, it } from 'vitest';
import { acceptsCharge, refusesCharge } from './planFixtures.ts';

const graduated = { graduatedRanges: [{ fromValue: 0, toValue: null, perUnitAmount: '1', flatAmount: '0' }] };
const volume = { volumeRanges: [{ fromValue: 0, toValue: null, perUnitAmount: '1', flatAmount: '0' }] };
const pkg = { amount: '10', packageSize: 100 };

describe('charge combination rules: pay in advance (§1.1, §2.6)', () => {
  it.each(['api_calls', 'storage', 'seats'])('is allowed on the %s metric (COUNT / SUM / UNIQUE_COUNT)', (code) =>
    acceptsCharge({ billableMetricCode: code, payInAdvance: true }));
  it.each(['peak', 'gauge', 'gb_seconds'])('is refused on the %s metric (MAX / LATEST / WEIGHTED_SUM)', (code) =>
    refusesCharge({ billableMetricCode: code, payInAdvance: true }, 'payInAdvance'));
  it('is refused for VOLUME', () => refusesCharge({ billableMetricCode: 'volume', chargeModel: 'VOLUME', properties: volume, payInAdvance: true }, 'payInAdvance'));
  it('is allowed for GRADUATED and PACKAGE', () => {
    acceptsCharge({ chargeModel: 'GRADUATED', properties: graduated, payInAdvance: true });
    acceptsCharge({ chargeModel: 'PACKAGE', properties: pkg, payInAdvance: true });
  });
});

describe('charge combination rules: minimum amount (§2.10)', () => {
  it('is refused with pay in advance', () => refusesCharge({ payInAdvance: true, minAmountCents: '100' }, 'minAmountCents'));
  it('of zero is accepted with pay in advance', () => acceptsCharge({ payInAdvance: true, minAmountCents: '0' }));
  it('is accepted in arrears', () => acceptsCharge({ minAmountCents: '100' }));
});

describe('charge combination rules: proration (§2.12)', () => {
  it.each(['storage', 'seats'])('is allowed on the recurring %s metric (SUM / UNIQUE_COUNT)', (code) => acceptsCharge({ billableMetricCode: code, prorated: true }));
  it('is refused on a COUNT metric', () => refusesCharge({ prorated: true }, 'prorated'));
  it('is refused on a non-recurring SUM metric', () => refusesCharge({ billableMetricCode: 'volume', prorated: true }, 'prorated'));
  it('is refused on a non-recurring UNIQUE_COUNT metric', () => refusesCharge({ billableMetricCode: 'users', prorated: true }, 'prorated'));
  it('is refused on a recurring WEIGHTED_SUM metric (already time-weighted)', () => refusesCharge({ billableMetricCode: 'gb_seconds', prorated: true }, 'prorated'));
  it('in advance is allowed for STANDARD', () => acceptsCharge({ billableMetricCode: 'storage', prorated: true, payInAdvance: true }));
  it('in advance is refused for GRADUATED', () =>
    refusesCharge({ billableMetricCode: 'storage', chargeModel: 'GRADUATED', properties: graduated, prorated: true, payInAdvance: true }, 'prorated'));
  it('in advance is refused for PACKAGE', () =>
    refusesCharge({ billableMetricCode: 'storage', chargeModel: 'PACKAGE', properties: pkg, prorated: true, payInAdvance: true }, 'prorated'));
  it('in arrears is allowed for VOLUME and GRADUATED', () => {
    acceptsCharge({ billableMetricCode: 'storage', chargeModel: 'VOLUME', properties: volume, prorated: true });
    acceptsCharge({ billableMetricCode: 'storage', chargeModel: 'GRADUATED', properties: graduated, prorated: true });
  });
  it('in arrears is refused for PACKAGE', () => refusesCharge({ billableMetricCode: 'storage', chargeModel: 'PACKAGE', properties: pkg, prorated: true }, 'prorated'));
  it('in arrears is refused for PERCENTAGE', () =>
    refusesCharge({ billableMetricCode: 'storage', chargeModel: 'PERCENTAGE', properties: { rate: '1' }, prorated: true }, 'prorated'));
});

describe('charge combination rules: models', () => {
  it('DYNAMIC is allowed on a SUM metric', () => acceptsCharge({ billableMetricCode: 'volume', chargeModel: 'DYNAMIC', properties: {} }));
  it.each(['api_calls', 'seats', 'peak'])('DYNAMIC is refused on the %s metric (not SUM)', (code) =>
    refusesCharge({ billableMetricCode: code, chargeModel: 'DYNAMIC', properties: {} }, 'chargeModel'));
  it('GRADUATED_PERCENTAGE needs no licence', () =>
    acceptsCharge({ chargeModel: 'GRADUATED_PERCENTAGE', properties: { graduatedPercentageRanges: [{ fromValue: 0, toValue: null, rate: '1', flatAmount: '0' }] } }));
  it('PERCENTAGE per-transaction min/max needs no licence', () =>
    acceptsCharge({ billableMetricCode: 'volume', chargeModel: 'PERCENTAGE', properties: { rate: '1', perTransactionMinAmount: '1', perTransactionMaxAmount: '12' } }));
});

describe('charge filters (§1.4)', () => {
  const filter = (values: unknown, properties: unknown = { amount: '1' }) => ({ filters: [{ invoiceDisplayName: 'EU', values, properties }] });
  it('accepts declared keys and values, and the all-values marker', () => {
    acceptsCharge(filter({ region: ['eu'] }));
    acceptsCharge(filter({ region: ['eu', 'us'], tier: ['__ALL_FILTER_VALUES__'] }));
  });
  it('refuses a key the metric does not declare', () => refusesCharge(filter({ country: ['fr'] }), 'filters.0.values.country'));
  it('refuses a value the metric does not declare', () => refusesCharge(filter({ region: ['eu', 'mars'] }), 'filters.0.values.region.1'));
  it('refuses the all-values marker beside other values', () => refusesCharge(filter({ region: ['eu', '__ALL_FILTER_VALUES__'] }), 'filters.0.values.region.1'));
  it('refuses an empty value list', () => refusesCharge(filter({ region: [] }), 'filters.0.values.region'));
  it('refuses a filter with no key', () => refusesCharge(filter({}), 'filters.0.values'));
  it('refuses values that are not an object', () => refusesCharge(filter(['eu']), 'filters.0.values'));
  it("validates the filter's properties with the charge's model", () => refusesCharge(filter({ region: ['eu'] }, { amount: '-1' }), 'filters.0.properties.amount'));
  it('requires properties on a filter', () => refusesCharge({ filters: [{ values: { region: ['eu'] } }] }, 'filters.0.properties.amount'));
});
