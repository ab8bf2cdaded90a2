/** Every route of the API, in one list (also the source of the OpenAPI document). */
import type { RouteDef } from './http';
import type { ApiDeps } from './deps';
import { systemRoutes } from './routes/system';
import { alertRoutes } from './routes/alerts';
import { psaWebhookRoutes } from './routes/psa-webhooks';
import { seatRoutes } from './routes/seats';
import { integrationRoutes } from './routes/integrations';
import { reconcileRoutes } from './routes/reconcile';
import { deviceRoutes } from './routes/devices';

import { directoryRoutes } from './routes/directory';
import { orgImportRoutes } from './routes/org-import';

export function buildRoutes(deps: ApiDeps): RouteDef[] {
  return [...systemRoutes(deps), ...seatRoutes(deps), ...alertRoutes(deps), ...psaWebhookRoutes(deps), ...integrationRoutes(deps), ...reconcileRoutes(deps), ...deviceRoutes(deps), ...directoryRoutes(deps), ...orgImportRoutes(deps)];
}
