/**
 * Billing reconcile and connection health of a partner's PSA connection: see the schedules,
 * trigger a reconcile or a health check, list drift reports and holds, approve or dismiss a
 * hold. The same users as the Integrations page (Owner / Super Admin / Admin of the partner or
 * an ancestor; other tenants → 404). Routes only map HTTP to client/reconcile.ts.
 */
import { z } from 'zod';
import type { ApiDeps } from '../deps';
import { route, type RouteDef } from '../http';
import { integrationAuthorizer } from './access';
import { uuidId } from '../../domain/input';
import { psaSchema } from '../../client/integrations';
import { createReconcileClient, holdsQuerySchema, listQuerySchema } from '../../client/reconcile';

const BASE = '/v1/partners/:partnerId/integrations/:psa';
const TAGS = ['billing'];
const psaParams = z.object({ partnerId: uuidId(), psa: psaSchema }).strict();
const holdParams = psaParams.extend({ holdId: uuidId() }).strict();

export function reconcileRoutes(deps: ApiDeps): RouteDef[] {
  const client = createReconcileClient({
    db: deps.db,
    temporal: deps.temporal,
    taskQueue: deps.taskQueue,
    timing: { healthEverySeconds: deps.config.HEALTH_CHECK_EVERY_SECONDS, reconcileEverySeconds: deps.config.RECONCILE_EVERY_SECONDS },
  });
  const authorize = integrationAuthorizer(deps.db);

  return [
    route({
      method: 'GET',
      path: `${BASE}/schedules`,
      summary: "The connection's reconcile and health schedules: paused or not, period, next and recent runs",
      tags: TAGS,
      auth: 'user',
      params: psaParams,
      async handler({ params, user }) {
        await authorize(user, params.partnerId);
        return { body: await client.schedules(params.partnerId, params.psa) };
      },
    }),
    route({
      method: 'POST',
      path: `${BASE}/reconcile`,
      summary: 'Run billing reconcile now (the schedule’s action; refused while the connection is unhealthy)',
      tags: TAGS,
      auth: 'user',
      params: psaParams,
      response: z.object({ scheduleId: z.string() }),
      async handler({ params, user }) {
        const actor = await authorize(user, params.partnerId);
        return { status: 202, body: await client.triggerReconcile(params.partnerId, params.psa, actor) };
      },
    }),
    route({
      method: 'POST',
      path: `${BASE}/health-check`,
      summary: 'Re-test the connection and probe its rights now',
      tags: TAGS,
      auth: 'user',
      params: psaParams,
      response: z.object({ scheduleId: z.string() }),
      async handler({ params, user }) {
        const actor = await authorize(user, params.partnerId);
        return { status: 202, body: await client.triggerHealthCheck(params.partnerId, params.psa, actor) };
      },
    }),
    route({
      method: 'GET',
      path: `${BASE}/reconcile/reports`,
      summary: 'Drift reports of the latest reconcile runs: found, repaired, held, broken, PSA calls used',
      tags: TAGS,
      auth: 'user',
      params: psaParams,
      query: listQuerySchema,
      async handler({ params, query, user }) {
        await authorize(user, params.partnerId);
        return { body: { reports: await client.reports(params.partnerId, params.psa, query) } };
      },
    }),
    route({
      method: 'GET',
      path: `${BASE}/reconcile/holds`,
      summary: 'Billing changes held for approval (a count of 0 or a large drop), newest first',
      tags: TAGS,
      auth: 'user',
      params: psaParams,
      query: holdsQuerySchema,
      async handler({ params, query, user }) {
        await authorize(user, params.partnerId);
        return { body: { holds: await client.holds(params.partnerId, params.psa, query) } };
      },
    }),
    route({
      method: 'POST',
      path: `${BASE}/reconcile/holds/:holdId/approve`,
      summary: 'Approve a held billing change; the reconcile run this starts writes it',
      tags: TAGS,
      auth: 'user',
      params: holdParams,
      response: z.object({ holdId: z.string(), status: z.string() }),
      async handler({ params, user }) {
        const actor = await authorize(user, params.partnerId);
        return { body: await client.approveHold(params.partnerId, params.psa, params.holdId, actor) };
      },
    }),
    route({
      method: 'POST',
      path: `${BASE}/reconcile/holds/:holdId/dismiss`,
      summary: 'Dismiss a held billing change: the PSA keeps its quantity until the count or the PSA changes',
      tags: TAGS,
      auth: 'user',
      params: holdParams,
      response: z.object({ holdId: z.string(), status: z.string() }),
      async handler({ params, user }) {
        const actor = await authorize(user, params.partnerId);
        return { body: await client.dismissHold(params.partnerId, params.psa, params.holdId, actor) };
      },
    }),
  ];
}
