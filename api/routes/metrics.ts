/**
 * Prometheus metrics of the API process (alerts received, the API's own PSA calls, Node's
 * process metrics). Behind METRICS_TOKEN as a bearer token when one is configured; without one
 * the route is open, as scrape targets on a private network usually are.
 */
import { route, type RouteDef } from '../http';
import { Unauthenticated } from '../errors';
import type { ApiDeps } from '../deps';
import { METRICS_CONTENT_TYPE, metricsAuthorized, metricsText } from '../../infra/metrics';

export function metricsRoutes(deps: ApiDeps): RouteDef[] {
  return [
    route({
      method: 'GET',
      path: '/metrics',
      summary: 'Prometheus metrics of the API process (bearer METRICS_TOKEN when set)',
      tags: ['ops'],
      auth: 'none',
      async handler({ headers }) {
        if (!metricsAuthorized(headers.authorization, deps.config.METRICS_TOKEN)) throw new Unauthenticated('A valid metrics token is required');
        return { headers: { 'content-type': METRICS_CONTENT_TYPE }, body: await metricsText() };
      },
    }),
  ];
}
