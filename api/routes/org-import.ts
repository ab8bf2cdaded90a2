/**
 * Organization import with name matching, per integration: preview the matches, confirm the
 * accepted rows as one durable batch, follow its progress. Same access rule as the integration
 * page (Owner / Super Admin / Admin of the partner or an ancestor; other tenants → 404).
 */
import { z } from 'zod';
import type { ApiDeps } from '../deps';
import { route, type RouteDef } from '../http';
import { integrationAuthorizer } from './access';
import { uuidId } from '../../domain/input';
import { psaSchema } from '../../client/integrations';
import { createOrgImportClient, importConfirmSchema } from '../../client/org-import';

const BASE = '/v1/partners/:partnerId/integrations/:psa/organization-import';
const TAGS = ['integrations'];

const psaParams = z.object({ partnerId: uuidId(), psa: psaSchema }).strict();
const batchParams = psaParams.extend({ batchId: uuidId() }).strict();

export function orgImportRoutes(deps: ApiDeps): RouteDef[] {
  const client = createOrgImportClient({ temporal: deps.temporal, db: deps.db, keys: deps.keys, taskQueue: deps.taskQueue, psa: deps.psa });
  const authorize = integrationAuthorizer(deps.db);

  return [
    route({
      method: 'GET',
      path: `${BASE}/preview`,
      summary: 'Every unmapped organization with its best PSA company match, score, alternatives and the billing object where exactly one fits',
      tags: TAGS,
      auth: 'user',
      params: psaParams,
      async handler({ params, user }) {
        await authorize(user, params.partnerId);
        return { body: await client.preview(params.partnerId, params.psa) };
      },
    }),
    route({
      method: 'POST',
      path: BASE,
      summary: 'Confirm an import: map the accepted rows (or create their companies first) as one durable batch',
      tags: TAGS,
      auth: 'user',
      params: psaParams,
      body: importConfirmSchema,
      response: z.object({ batchId: z.string(), workflowId: z.string(), rows: z.number() }),
      async handler({ params, body, user }) {
        const actor = await authorize(user, params.partnerId);
        return { status: 202, body: await client.confirm(params.partnerId, params.psa, body, actor) };
      },
    }),
    route({
      method: 'GET',
      path: `${BASE}/:batchId`,
      summary: "An import batch's progress: rows done, mapped, created, refused (with codes)",
      tags: TAGS,
      auth: 'user',
      params: batchParams,
      async handler({ params, user }) {
        await authorize(user, params.partnerId);
        return { body: await client.progress(params.partnerId, params.psa, params.batchId) };
      },
    }),
  ];
}
