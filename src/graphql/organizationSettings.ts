import { z } from 'zod';
import { defaultDocumentNumberPrefix } from '../domain/organization/index.ts';
import { builder } from './builder.ts';
import { actorFrom, inInput, payloadOf } from './commandSupport.ts';
import { parseInput } from './errors.ts';
import { Organization } from './organizations.ts';

const DocumentNumberingEnum = builder.enumType('DocumentNumbering', {
  description: 'PER_CUSTOMER: <prefix>-<customer>-<n>; PER_ORGANIZATION: <prefix>-<YYYYMM>-<n> over the whole organization.',
  values: ['PER_CUSTOMER', 'PER_ORGANIZATION'] as const,
});

// Documents projected before these settings existed lack them until a rebuild: answer Lago's defaults.
builder.objectFields(Organization, (t) => ({
  invoiceGracePeriod: t.int({ description: 'Days invoices stay draft; customers may override.', resolve: (o) => o.invoiceGracePeriod ?? 0 }),
  netPaymentTerm: t.int({ description: 'Days from issuing to payment due; customers may override.', resolve: (o) => o.netPaymentTerm ?? 0 }),
  documentNumberPrefix: t.string({
    description: 'Invoice number prefix (default: the name’s first 3 letters and the id’s last 4, e.g. ACM-9F3A).',
    resolve: (o) => o.documentNumberPrefix ?? defaultDocumentNumberPrefix(o.name, o._id),
  }),
  documentNumbering: t.field({ type: DocumentNumberingEnum, resolve: (o) => o.documentNumbering ?? 'PER_CUSTOMER' }),
}));

const UpdateInput = builder.inputType('UpdateOrganizationInput', {
  description: 'Omitted fields keep their value.',
  fields: (t) => ({
    timezone: t.string({ description: 'IANA zone: the default for customers without one.' }),
    defaultCurrency: t.string({ description: 'ISO 4217.' }),
    invoiceGracePeriod: t.int({ description: 'Days ≥ 0.' }),
    netPaymentTerm: t.int({ description: 'Days ≥ 0.' }),
    documentNumberPrefix: t.string({ description: '1 to 10 characters, stored upper case.' }),
    documentNumbering: t.field({ type: DocumentNumberingEnum }),
  }),
});
const updateSchema = z.object({
  timezone: z.string().trim().max(64, 'at most 64 characters').optional(),
  defaultCurrency: z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as EUR').optional(),
  invoiceGracePeriod: z.number().int().optional(),
  netPaymentTerm: z.number().int().optional(),
  documentNumberPrefix: z.string().trim().optional(),
  documentNumbering: z.enum(['PER_CUSTOMER', 'PER_ORGANIZATION']).optional(),
});

const OrganizationPayload = payloadOf('Organization', 'organization', Organization);

builder.mutationFields((t) => ({
  updateOrganization: t.field({
    type: OrganizationPayload,
    description: "Updates the caller's organization's billing defaults. Needs an organization key (not the admin key).",
    args: { input: t.arg({ type: UpdateInput, required: true }) },
    resolve: async (_root, { input }, ctx) => ({
      organization: await inInput(() => ctx.app.organizationSettings.update(actorFrom(ctx), parseInput(updateSchema, input))),
    }),
  }),
}));
