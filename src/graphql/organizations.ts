import { z } from 'zod';
import type { ApiKeyDocument } from '../../projections/apiKeys.ts';
import type { OrganizationDocument } from '../../projections/organizations.ts';
import { actorOf, organizationOf } from './auth.ts';
import { builder } from './builder.ts';
import { connectionOf, paginate } from './connection.ts';
import { parseInput } from './errors.ts';

export const Organization = builder.objectRef<OrganizationDocument>('Organization').implement({
  description: 'A tenant: every stream, document and API key belongs to exactly one.',
  fields: (t) => ({
    id: t.exposeID('_id'),
    name: t.exposeString('name'),
    timezone: t.exposeString('timezone'),
    defaultCurrency: t.exposeString('defaultCurrency'),
    createdAt: t.field({ type: 'DateTime', resolve: (o) => o.createdAt }),
  }),
});

export const ApiKey = builder.objectRef<ApiKeyDocument>('ApiKey').implement({
  description: 'An API key. Only its first characters are kept in clear; the secret is shown once, at creation.',
  fields: (t) => ({
    id: t.exposeID('_id'),
    name: t.exposeString('name'),
    keyPrefix: t.exposeString('keyPrefix'),
    createdAt: t.field({ type: 'DateTime', resolve: (k) => k.createdAt }),
    revokedAt: t.field({ type: 'DateTime', nullable: true, resolve: (k) => k.revokedAt }),
  }),
});

const ApiKeyConnection = connectionOf('ApiKey', ApiKey);

const CreatedApiKey = builder.objectRef<{ key: string; apiKey: ApiKeyDocument }>('CreatedApiKey').implement({
  fields: (t) => ({
    key: t.exposeString('key', { description: 'The secret: use it as `Authorization: Bearer <key>`. Shown only once.' }),
    apiKey: t.field({ type: ApiKey, resolve: (p) => p.apiKey }),
  }),
});

const CreateOrganizationPayload = builder
  .objectRef<{ organization: OrganizationDocument; key: string; apiKey: ApiKeyDocument }>('CreateOrganizationPayload')
  .implement({
    fields: (t) => ({
      organization: t.field({ type: Organization, resolve: (p) => p.organization }),
      apiKey: t.field({ type: CreatedApiKey, resolve: (p) => ({ key: p.key, apiKey: p.apiKey }) }),
    }),
  });

const CreateOrganizationInput = builder.inputType('CreateOrganizationInput', {
  fields: (t) => ({
    name: t.string({ required: true }),
    timezone: t.string({ description: 'IANA timezone, default UTC.' }),
    defaultCurrency: t.string({ description: 'ISO 4217 code, default USD.' }),
  }),
});
const createOrganizationSchema = z.object({
  name: z.string().trim().min(1, 'must not be empty').max(200),
  timezone: z.string().optional(),
  defaultCurrency: z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as EUR').optional(),
});

const CreateApiKeyInput = builder.inputType('CreateApiKeyInput', {
  fields: (t) => ({
    organizationId: t.id({ required: true }),
    name: t.string({ required: true }),
  }),
});
const RevokeApiKeyInput = builder.inputType('RevokeApiKeyInput', {
  fields: (t) => ({ organizationId: t.id({ required: true }), id: t.id({ required: true }) }),
});
const keyInputSchema = z.object({ organizationId: z.string().min(1), name: z.string().trim().min(1, 'must not be empty').max(200) });

builder.queryFields((t) => ({
  organization: t.field({
    type: Organization,
    description: "The caller's organization.",
    resolve: async (_root, _args, ctx) => {
      const organizationId = organizationOf(ctx);
      const organization = await ctx.app.organizations.getOrganization(organizationId);
      if (!organization) throw new Error(`organization ${organizationId} has a key but no document`);
      return organization;
    },
  }),
  apiKeys: t.field({
    type: ApiKeyConnection,
    description: "The caller's organization's API keys (secrets are never shown again).",
    args: { first: t.arg.int(), after: t.arg.string() },
    resolve: (_root, args, ctx) =>
      paginate(ctx.app.deps.readModels.collection<ApiKeyDocument>('apiKeys'), { organizationId: organizationOf(ctx) }, args),
  }),
}));

builder.mutationFields((t) => ({
  createOrganization: t.field({
    type: CreateOrganizationPayload,
    description: 'Creates an organization and its first API key. Needs the ADMIN_API_KEY.',
    args: { input: t.arg({ type: CreateOrganizationInput, required: true }) },
    resolve: async (_root, { input }, ctx) => {
      ctx.app.organizations.requireAdmin(ctx.principal);
      const parsed = parseInput(createOrganizationSchema, input);
      return ctx.app.organizations.createOrganization(parsed, { actor: actorOf(ctx), correlationId: ctx.correlationId });
    },
  }),
  createApiKey: t.field({
    type: CreatedApiKey,
    description: 'Creates another API key for an organization. Needs the ADMIN_API_KEY.',
    args: { input: t.arg({ type: CreateApiKeyInput, required: true }) },
    resolve: async (_root, { input }, ctx) => {
      ctx.app.organizations.requireAdmin(ctx.principal);
      const parsed = parseInput(keyInputSchema, input);
      return ctx.app.organizations.createApiKey(parsed.organizationId, parsed.name, { actor: actorOf(ctx), correlationId: ctx.correlationId });
    },
  }),
  revokeApiKey: t.field({
    type: ApiKey,
    description: 'Revokes an API key: requests with it are refused from now on. Needs the ADMIN_API_KEY.',
    args: { input: t.arg({ type: RevokeApiKeyInput, required: true }) },
    resolve: async (_root, { input }, ctx) => {
      ctx.app.organizations.requireAdmin(ctx.principal);
      return ctx.app.organizations.revokeApiKey(String(input.organizationId), String(input.id), { actor: actorOf(ctx), correlationId: ctx.correlationId });
    },
  }),
}));
