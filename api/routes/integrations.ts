/**
 * The portal's Integrations page: list the three PSA cards with their badges, connect, test,
 * ticket mapping (picklists, set, reset), plan and organization mapping (options, map, unlink),
 * revoke. Every route first checks that the user may manage the partner's integrations
 * (Owner / Super Admin / Admin of the partner or an ancestor; other tenants → 404). Bodies are
 * strict, so a smuggled `partnerId`, `role` or `parentId` is a 400. Changes go through the
 * lifecycle workflow (client/integrations.ts); reads come from the read model or, for picklists,
 * straight from the PSA. Credentials are checked against the URL policy and the site's TLS
 * before the workflow is asked (`url_not_allowed`, `tls_failed`), so such a connect fails at
 * once and is not reported as refused credentials.
 */
import { z } from 'zod';
import type { ApiDeps } from '../deps';
import { route, type RouteDef } from '../http';
import { integrationAuthorizer } from './access';
import { InvalidInput } from '../../domain/errors';
import { safeJsonRecord, safeText, uuidId } from '../../domain/input';
import { OPTIONAL_FEATURES, type MappingKind, type PsaKind } from '../../psa/core/types';
import { adapterFactories } from '../../psa/registry';
import { adapterContext } from '../../infra/psa-adapters';
import { credentialsAad } from '../../security/credentials';
import { createIntegrationsClient, mappingValuesSchema, psaSchema } from '../../client/integrations';
import { listIntegrations, liveConnection } from '../../db/repositories/integrations';
import { organizationMappingsView, planMappingsView } from '../../db/repositories/mappings';

const BASE = '/v1/partners/:partnerId/integrations';
const TAGS = ['integrations'];

const partnerParams = z.object({ partnerId: uuidId() }).strict();
const psaParams = z.object({ partnerId: uuidId(), psa: psaSchema }).strict();
const planParams = psaParams.extend({ planId: uuidId() }).strict();
const organizationParams = psaParams.extend({ organizationId: uuidId() }).strict();
const optionParams = psaParams.extend({ field: safeText().min(1).max(100) }).strict();

const credentialsBody = z.object({ credentials: safeJsonRecord() }).strict();
const testBody = z.object({ credentials: safeJsonRecord().optional() }).strict();
const valuesBody = z.object({ values: mappingValuesSchema }).strict();

const optionsQuery = z
  .object({
    search: safeText().max(100).optional(),
    cursor: safeText().max(4000).optional(),
    pageSize: z.coerce.number().int().min(1).max(200).optional(),
    /** JSON object of the parent fields' chosen values, e.g. `{"sla":"3"}`. */
    parents: safeText().max(2000).optional(),
  })
  .strict();

/** A right only an optional feature needs (the import's billing objects): the connection works without it. */
const limitationSchema = z.object({ feature: z.enum(OPTIONAL_FEATURES), right: z.string(), detail: z.string() });

const badgeSchema = z.object({
  psa: psaSchema,
  connectionId: z.string().nullable(),
  status: z.string(),
  health: z.string().nullable(),
  healthReason: z.string().nullable(),
  accountName: z.string().nullable(),
  connected: z.boolean(),
  ticketMappingDone: z.boolean(),
  syncedPlans: z.number(),
  mappedOrganizations: z.number(),
  flaggedOrganizations: z.number(),
  connectedAt: z.string().nullable(),
  devicesSynced: z.number(),
  devicesFailed: z.number(),
});

function parseParents(raw: string | undefined): Record<string, string> | undefined {
  if (raw === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    throw new InvalidInput([{ field: 'query.parents', message: 'must be a JSON object of field → option id' }]);
  }
  const parsed = mappingValuesSchema.safeParse(value);
  if (!parsed.success) throw new InvalidInput([{ field: 'query.parents', message: 'must be a JSON object of field → option id' }]);
  return parsed.data;
}

export function integrationRoutes(deps: ApiDeps): RouteDef[] {
  const client = createIntegrationsClient({ temporal: deps.temporal, db: deps.db, keys: deps.keys, taskQueue: deps.taskQueue, psa: deps.psa });

  const authorize = integrationAuthorizer(deps.db);
  const card = async (partnerId: string, psa: PsaKind) => (await listIntegrations(deps.db, partnerId)).find((c) => c.psa === psa);
  /** The sites the credentials name are allowed and verify TLS (the PSA sees no credentials). */
  const checkSites = (psa: PsaKind, credentials: unknown) => adapterFactories[psa].checkSites(credentials, adapterContext(psa, 'site-check', deps.psa));
  /** The same for the stored credentials of the partner's live connection, if any. */
  const checkStoredSites = async (partnerId: string, psa: PsaKind) => {
    const connection = await liveConnection(deps.db, partnerId, psa);
    if (connection?.credentials) await checkSites(psa, deps.keys.openJson(connection.credentials, credentialsAad(connection.id)));
  };

  const optionRoutes = (segment: string, kind: MappingKind): RouteDef =>
    route({
      method: 'GET',
      path: `${BASE}/:psa/${segment}/options/:field`,
      summary: `Options of one ${kind}-mapping field (parents narrow them; search and cursor page them)`,
      tags: TAGS,
      auth: 'user',
      params: optionParams,
      query: optionsQuery,
      async handler({ params, query, user }) {
        await authorize(user, params.partnerId);
        const parents = parseParents(query.parents);
        const page = await client.fieldOptions(params.partnerId, params.psa, kind, params.field, {
          ...(parents ? { parents } : {}),
          ...(query.search ? { search: query.search } : {}),
          ...(query.cursor ? { cursor: query.cursor } : {}),
          ...(query.pageSize ? { pageSize: query.pageSize } : {}),
        });
        return { body: page };
      },
    });

  return [
    route({
      method: 'GET',
      path: BASE,
      summary: 'The three PSA cards with their badges (Connected, ticket mapping done, plans synced, organizations mapped)',
      tags: TAGS,
      auth: 'user',
      params: partnerParams,
      response: z.object({ integrations: z.array(badgeSchema) }),
      async handler({ params, user }) {
        await authorize(user, params.partnerId);
        return { body: { integrations: await listIntegrations(deps.db, params.partnerId) } };
      },
    }),
    route({
      method: 'POST',
      path: `${BASE}/:psa/connect`,
      summary: 'Connect: test the credentials and probe the rights (a missing needed right refuses; `limitations` names rights only optional features need), store them encrypted',
      tags: TAGS,
      auth: 'user',
      params: psaParams,
      body: credentialsBody,
      response: z.object({ connectionId: z.string(), accountName: z.string(), message: z.string(), limitations: z.array(limitationSchema), integration: badgeSchema }),
      async handler({ params, body, user }) {
        const actor = await authorize(user, params.partnerId);
        await checkSites(params.psa, body.credentials);
        const result = await client.connect(params.partnerId, params.psa, body.credentials, actor);
        return { status: 201, body: { ...result, integration: await card(params.partnerId, params.psa) } };
      },
    }),
    route({
      method: 'POST',
      path: `${BASE}/:psa/test`,
      summary: 'Test the connection and probe the rights (`limitations` as at connect); with `credentials`, re-enter them (stored only if they test fine) — restores Healthy',
      tags: TAGS,
      auth: 'user',
      params: psaParams,
      body: testBody,
      async handler({ params, body, user }) {
        const actor = await authorize(user, params.partnerId);
        await (body.credentials ? checkSites(params.psa, body.credentials) : checkStoredSites(params.partnerId, params.psa));
        const health = body.credentials
          ? await client.updateCredentials(params.partnerId, params.psa, body.credentials, actor)
          : await client.retest(params.partnerId, params.psa, actor);
        return { body: { ...health, integration: await card(params.partnerId, params.psa) } };
      },
    }),
    route({
      method: 'GET',
      path: `${BASE}/:psa/ticket-mapping`,
      summary: 'The ticket-mapping form: its fields and the values chosen (null when not mapped)',
      tags: TAGS,
      auth: 'user',
      params: psaParams,
      async handler({ params, user }) {
        await authorize(user, params.partnerId);
        return { body: await client.mappingForm(params.partnerId, params.psa, 'ticket') };
      },
    }),
    optionRoutes('ticket-mapping', 'ticket'),
    route({
      method: 'PUT',
      path: `${BASE}/:psa/ticket-mapping`,
      summary: 'Set the ticket mapping (every field required; each value checked in the PSA)',
      tags: TAGS,
      auth: 'user',
      params: psaParams,
      body: valuesBody,
      async handler({ params, body, user }) {
        const actor = await authorize(user, params.partnerId);
        await client.setTicketMapping(params.partnerId, params.psa, body.values, actor);
        return { body: { integration: await card(params.partnerId, params.psa) } };
      },
    }),
    route({
      method: 'DELETE',
      path: `${BASE}/:psa/ticket-mapping`,
      summary: 'Revoke All Ticket Mapping: resets only the ticket mapping; the connection stays',
      tags: TAGS,
      auth: 'user',
      params: psaParams,
      async handler({ params, user }) {
        const actor = await authorize(user, params.partnerId);
        await client.resetTicketMapping(params.partnerId, params.psa, actor);
        return { body: { integration: await card(params.partnerId, params.psa) } };
      },
    }),
    route({
      method: 'GET',
      path: `${BASE}/:psa/plan-mappings`,
      summary: 'Plans the partner may map (own and assigned), each with its mappings on every PSA',
      tags: TAGS,
      auth: 'user',
      params: psaParams,
      async handler({ params, user }) {
        await authorize(user, params.partnerId);
        return { body: { plans: await planMappingsView(deps.db, params.partnerId) } };
      },
    }),
    optionRoutes('plan-mappings', 'plan'),
    route({
      method: 'PUT',
      path: `${BASE}/:psa/plan-mappings/:planId`,
      summary: 'Map (or edit the mapping of) a plan; a plan may map to several PSAs',
      tags: TAGS,
      auth: 'user',
      params: planParams,
      body: valuesBody,
      async handler({ params, body, user }) {
        const actor = await authorize(user, params.partnerId);
        await client.mapPlan(params.partnerId, params.psa, params.planId, body.values, actor);
        const plans = await planMappingsView(deps.db, params.partnerId);
        return { body: { plan: plans.find((p) => p.planId === params.planId) } };
      },
    }),
    route({
      method: 'DELETE',
      path: `${BASE}/:psa/plan-mappings/:planId`,
      summary: 'Unlink a plan from this PSA',
      tags: TAGS,
      auth: 'user',
      params: planParams,
      async handler({ params, user }) {
        const actor = await authorize(user, params.partnerId);
        await client.unlinkPlan(params.partnerId, params.psa, params.planId, actor);
        return { status: 204 };
      },
    }),
    route({
      method: 'GET',
      path: `${BASE}/:psa/organization-mappings`,
      summary: "The partner's organizations, each with its single mapping wherever it is",
      tags: TAGS,
      auth: 'user',
      params: psaParams,
      async handler({ params, user }) {
        await authorize(user, params.partnerId);
        return { body: { organizations: await organizationMappingsView(deps.db, params.partnerId) } };
      },
    }),
    optionRoutes('organization-mappings', 'organization'),
    route({
      method: 'PUT',
      path: `${BASE}/:psa/organization-mappings/:organizationId`,
      summary: 'Map (or edit the mapping of) an organization; one PSA at a time, and its plan first where the PSA maps plans',
      tags: TAGS,
      auth: 'user',
      params: organizationParams,
      body: valuesBody,
      async handler({ params, body, user }) {
        const actor = await authorize(user, params.partnerId);
        await client.mapOrganization(params.partnerId, params.psa, params.organizationId, body.values, actor);
        const orgs = await organizationMappingsView(deps.db, params.partnerId);
        return { body: { organization: orgs.find((o) => o.organizationId === params.organizationId) } };
      },
    }),
    route({
      method: 'DELETE',
      path: `${BASE}/:psa/organization-mappings/:organizationId`,
      summary: 'Unlink an organization from this PSA (then it can be mapped elsewhere)',
      tags: TAGS,
      auth: 'user',
      params: organizationParams,
      async handler({ params, user }) {
        const actor = await authorize(user, params.partnerId);
        await client.unlinkOrganization(params.partnerId, params.psa, params.organizationId, actor);
        return { status: 204 };
      },
    }),
    route({
      method: 'POST',
      path: `${BASE}/:psa/revoke`,
      summary: 'Revoke: unlink every mapping of this PSA, stop its syncs, wipe the credentials (safe to retry)',
      tags: TAGS,
      auth: 'user',
      params: psaParams,
      async handler({ params, user }) {
        const actor = await authorize(user, params.partnerId);
        const result = await client.revoke(params.partnerId, params.psa, actor);
        return { body: { ...result, integration: await card(params.partnerId, params.psa) } };
      },
    }),
  ];
}
