/** Every route of the API, in one list (also the source of the OpenAPI document). */
import type { RouteDef } from './http';
import type { ApiDeps } from './deps';
import { systemRoutes } from './routes/system';

export function buildRoutes(deps: ApiDeps): RouteDef[] {
  return [...systemRoutes(deps)];
}
