import type { Actor, AppDeps } from './context.ts';
import { execute } from './execute.ts';
import { organizationStream } from './organizations.ts';
import { organizationDecider, type OrganizationSettingsFields } from '../domain/organization/index.ts';
import { NotFoundError } from '../domain/shared/errors.ts';
import type { OrganizationDocument } from '../../projections/organizations.ts';

/** The caller's organization's billing defaults (timezone, currency, grace period, payment term, numbering). */
export function createOrganizationSettingsService(deps: AppDeps) {
  return {
    async update(actor: Actor, fields: OrganizationSettingsFields): Promise<OrganizationDocument> {
      await execute(deps, actor, organizationStream(actor.organizationId), organizationDecider, {
        type: 'UpdateOrganization',
        data: fields,
        metadata: { now: deps.clock.now().toISOString() },
      });
      const document = await deps.readModels.collection<OrganizationDocument>('organizations').findOne({ _id: actor.organizationId });
      if (!document) throw new NotFoundError(`organization ${actor.organizationId} not found`);
      return document;
    },
  };
}
