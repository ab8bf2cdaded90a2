import { z } from 'zod';
import { route, type RouteDef } from '../http';
import type { ApiDeps } from '../deps';
import { reportSeatCount, seatReportSchema } from '../../client/seats';
import { seatSyncView } from '../../db/repositories/seats';
import { NotFound } from '../../domain/errors';
import { uuidId } from '../../domain/input';

const organizationParams = z.object({ organizationId: uuidId() }).strict();

export function seatRoutes(deps: ApiDeps): RouteDef[] {
  return [
    route({
      method: 'POST',
      path: '/v1/organizations/:organizationId/seats',
      summary: 'Report the seat count of an organization; it is pushed to the PSA billing object (debounced)',
      tags: ['billing'],
      auth: 'platform',
      params: organizationParams,
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
      params: organizationParams,
      async handler({ params }) {
        const view = await seatSyncView(deps.db, params.organizationId);
        if (!view) throw new NotFound('Organization');
        return { body: view };
      },
    }),
  ];
}
