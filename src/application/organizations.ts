import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { eventMetadata, type Actor, type AppDeps } from './context.ts';
import { execute } from './execute.ts';
import { createRevocations } from './revocations.ts';
import { organizationDecider } from '../domain/organization/index.ts';
import { streamName } from '../domain/shared/streams.ts';
import { ForbiddenError, NotFoundError, UnauthenticatedError, ValidationError } from '../domain/shared/errors.ts';
import type { ApiKeyDocument } from '../../projections/apiKeys.ts';
import type { OrganizationDocument } from '../../projections/organizations.ts';

const KEY_PREFIX = 'bk_';
/** The shortest preset key accepted (`API_KEY`, `ADMIN_API_KEY`): generated keys are 256-bit. */
export const MIN_PRESET_KEY_LENGTH = 32;

/** API keys are random 256-bit secrets; only their SHA-256 is stored (no slow hash needed at that entropy). */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

export function generateApiKey(): string {
  return `${KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
}

/** Who runs an organization command (an operator's key), and the request it came with. */
export type ActingAs = Omit<Actor, 'organizationId'>;

export interface Principal {
  kind: 'organization' | 'admin';
  organizationId: string | null;
  keyId: string | null;
}

export function organizationStream(organizationId: string): string {
  return streamName('organization', organizationId);
}

export function createOrganizationService(deps: AppDeps, options: { adminApiKey?: string | undefined }) {
  const adminHash = options.adminApiKey ? Buffer.from(hashApiKey(options.adminApiKey), 'hex') : null;
  const organizations = () => deps.readModels.collection<OrganizationDocument>('organizations');
  const apiKeys = () => deps.readModels.collection<ApiKeyDocument>('apiKeys');
  // Open websockets and subscription streams end when their key is revoked, here or in another API instance.
  const revocations = createRevocations({
    logger: deps.logger,
    findRevoked: async (keyIds) => (await apiKeys().find({ _id: { $in: [...keyIds] }, revokedAt: { $ne: null } })).map((key) => key._id),
  });

  const run = (organizationId: string, by: ActingAs, command: Parameters<typeof organizationDecider.decide>[0]) =>
    execute(deps, { organizationId, ...by }, organizationStream(organizationId), organizationDecider, command);

  async function createApiKey(organizationId: string, name: string, by: ActingAs, presetKey?: string) {
    if (presetKey !== undefined && presetKey.length < MIN_PRESET_KEY_LENGTH) throw new ValidationError(`key: must be at least ${MIN_PRESET_KEY_LENGTH} characters`, 'key');
    const key = presetKey ?? generateApiKey();
    const keyId = deps.newId();
    await run(organizationId, by, {
      type: 'CreateApiKey',
      data: { keyId, name, keyHash: hashApiKey(key), keyPrefix: key.slice(0, 7) },
      metadata: { now: deps.clock.now().toISOString() },
    });
    const document = await apiKeys().findOne({ _id: keyId });
    if (!document) throw new NotFoundError(`API key ${keyId} not found`);
    return { key, apiKey: document };
  }

  return {
    async createOrganization(input: { name: string; timezone?: string; defaultCurrency?: string; apiKey?: string }, by: ActingAs) {
      const organizationId = deps.newId();
      await run(organizationId, by, {
        type: 'CreateOrganization',
        data: { organizationId, name: input.name, timezone: input.timezone ?? 'UTC', defaultCurrency: input.defaultCurrency ?? 'USD' },
        metadata: { now: deps.clock.now().toISOString() },
      });
      const created = await createApiKey(organizationId, 'default', by, input.apiKey);
      const organization = await organizations().findOne({ _id: organizationId });
      if (!organization) throw new NotFoundError(`organization ${organizationId} not found`);
      return { organization, ...created };
    },

    /**
     * The first start's default organization and its key, appended together (one append to the organization's
     * stream) so that the key exists as soon as the organization does, whether or not a projector runs yet (`ROLE=api`
     * before the worker is up). Waits for the read models at most a few seconds: the caller has saved the key first.
     */
    async bootstrapOrganization(input: { name: string; apiKey: string }, actor: string): Promise<{ organizationId: string; keyId: string; inReadModels: boolean }> {
      if (input.apiKey.length < MIN_PRESET_KEY_LENGTH) throw new ValidationError(`key: must be at least ${MIN_PRESET_KEY_LENGTH} characters`, 'key');
      const organizationId = deps.newId();
      const keyId = deps.newId();
      const now = deps.clock.now().toISOString();
      const created = organizationDecider.decide(
        { type: 'CreateOrganization', data: { organizationId, name: input.name, timezone: 'UTC', defaultCurrency: 'USD' }, metadata: { now } },
        organizationDecider.initialState(),
      );
      const keyed = organizationDecider.decide(
        { type: 'CreateApiKey', data: { keyId, name: 'default', keyHash: hashApiKey(input.apiKey), keyPrefix: input.apiKey.slice(0, 7) }, metadata: { now } },
        created.reduce(organizationDecider.evolve, organizationDecider.initialState()),
      );
      const metadata = eventMetadata(deps, { organizationId, actor });
      const { position } = await deps.eventStore.append(organizationStream(organizationId), [...created, ...keyed].map((e) => ({ type: e.type, data: e.data, metadata })), { expectedRevision: 'no_stream' });
      try {
        await deps.waitForProjections(position, { usage: false });
        return { organizationId, keyId, inReadModels: true };
      } catch {
        return { organizationId, keyId, inReadModels: false };
      }
    },

    createApiKey,
    revocations,

    async revokeApiKey(organizationId: string, keyId: string, by: ActingAs) {
      const existing = await apiKeys().findOne({ _id: keyId, organizationId });
      if (!existing) throw new NotFoundError(`API key ${keyId} not found`);
      await run(organizationId, by, { type: 'RevokeApiKey', data: { keyId }, metadata: { now: deps.clock.now().toISOString() } });
      // Appended (and in the read models: refused by every request from now on): its open streams end now.
      revocations.revoked(keyId);
      return (await apiKeys().findOne({ _id: keyId })) ?? existing;
    },

    getOrganization: (organizationId: string) => organizations().findOne({ _id: organizationId }),
    listApiKeys: (organizationId: string) => apiKeys().find({ organizationId }, { sort: { createdAt: 1, _id: 1 } }),
    countOrganizations: () => organizations().count({}),
    findApiKeyByKey: (key: string) => apiKeys().findOne({ keyHash: hashApiKey(key) }),

    /** Resolves `Authorization: Bearer <key>` to a principal; a missing, unknown or revoked key is refused. */
    async authenticate(authorization: string | null | undefined): Promise<Principal> {
      const match = /^Bearer\s+(\S+)$/i.exec(authorization?.trim() ?? '');
      if (!match?.[1]) throw new UnauthenticatedError();
      const hash = hashApiKey(match[1]);
      if (adminHash && timingSafeEqual(Buffer.from(hash, 'hex'), adminHash)) return { kind: 'admin', organizationId: null, keyId: null };
      const key = await apiKeys().findOne({ keyHash: hash });
      if (!key || key.revokedAt !== null) throw new UnauthenticatedError('the API key is unknown or revoked');
      return { kind: 'organization', organizationId: key.organizationId, keyId: key._id };
    },

    requireAdmin(principal: Principal): void {
      if (!adminHash) throw new ForbiddenError('admin operations are disabled: set ADMIN_API_KEY');
      if (principal.kind !== 'admin') throw new ForbiddenError('this operation needs the ADMIN_API_KEY');
    },
  };
}

export type OrganizationService = ReturnType<typeof createOrganizationService>;
