import { z } from 'zod';
import { route, type RouteDef } from '../http';
import type { ApiDeps } from '../deps';
import { reportSeatCount, seatReportSchema } from '../../client/seats';

export function seatRoutes(deps: ApiDeps): RouteDef[] {
  return [
    route({
      method: 'POST',
      path: '/v1/organizations/:organizationId/seats',
      summary: 'Report the seat count of an organization; it is pushed to the PSA billing object (debounced)',
      tags: ['billing'],
      auth: 'platform',
      params: z.object({ organizationId: z.uuid() }),
      body: seatReportSchema,
      response: z.object({ workflowId: z.string() }),
      async handler({ params, body }) {
        return { status: 202, body: await reportSeatCount(deps, params.organizationId, body) };
      },
    }),
    route({
      method: 'GET',
      path: '/v1/organizations/:organizationId/seats',
      summary: 'Seat-sync state of an organization: desired, pushed, status, last error',
      tags: ['billing'],
      auth: 'platform',
      params: z.object({ organizationId: z.uuid() }),
      async handler({ params }) {
        const org = await deps.db.selectFrom('organizations').select(['id', 'seatCount']).where('id', '=', params.organizationId).executeTakeFirst();
        if (!org) return { status: 404, body: { error: { code: 'not_found', message: 'Organization was not found' } } };
        const state = await deps.db.selectFrom('seatSyncState').selectAll().where('organizationId', '=', params.organizationId).executeTakeFirst();
        return { body: { organizationId: org.id, seats: org.seatCount, sync: state ?? null } };
      },
    }),
  ];
}
