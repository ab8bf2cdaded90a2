import { z } from 'zod';
import { route, type RouteDef } from '../http';
import type { ApiDeps } from '../deps';
import { createSeatsClient, seatReportSchema } from '../../client/seats';
import { uuidId } from '../../domain/input';

const organizationParams = z.object({ organizationId: uuidId() }).strict();

export function seatRoutes(deps: ApiDeps): RouteDef[] {
  const seats = createSeatsClient(deps);
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
        return { status: 202, body: await seats.reportSeatCount(params.organizationId, body) };
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
        return { body: await seats.seatState(params.organizationId) };
      },
    }),
  ];
}
