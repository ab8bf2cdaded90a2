/**
 * Device inventory in (platform) and device-sync settings (portal). Inventory routes only map
 * HTTP to client/devices.ts; the settings routes check integration access like the other
 * integration routes (other tenants → 404).
 */
import { z } from 'zod';
import { route, type RouteDef } from '../http';
import type { ApiDeps } from '../deps';
import { createDevicesClient, deviceChangesSchema, deviceSyncSettingsSchema, snapshotPartSchema } from '../../client/devices';
import { psaSchema } from '../../client/integrations';
import { uuidId } from '../../domain/input';
import { NotFound } from '../../domain/errors';
import { integrationAuthorizer } from './access';
import { liveConnection } from '../../db/repositories/integrations';

const organizationParams = z.object({ organizationId: uuidId() }).strict();
const snapshotParams = z.object({ organizationId: uuidId(), snapshotId: uuidId() }).strict();
const psaParams = z.object({ partnerId: uuidId(), psa: psaSchema }).strict();
const TAGS = ['devices'];

export function deviceRoutes(deps: ApiDeps): RouteDef[] {
  const devices = createDevicesClient(deps);
  const authorize = integrationAuthorizer(deps.db);
  const connectionOf = async (partnerId: string, psa: z.infer<typeof psaSchema>) => {
    const c = await liveConnection(deps.db, partnerId, psa);
    if (!c || c.status !== 'connected') throw new NotFound('PSA connection');
    return c.id;
  };
  return [
    route({
      method: 'PUT',
      path: '/v1/organizations/:organizationId/devices/snapshots/:snapshotId',
      summary: 'One part of a full device snapshot (≤500 devices); when every part is in, devices it did not carry are deleted',
      tags: TAGS,
      auth: 'platform',
      params: snapshotParams,
      body: snapshotPartSchema,
      async handler({ params, body }) {
        return { status: 202, body: await devices.reportSnapshotPart(params.organizationId, params.snapshotId, body) };
      },
    }),
    route({
      method: 'POST',
      path: '/v1/organizations/:organizationId/devices/changes',
      summary: "Incremental device changes (≤500 upserts and deletes), applied in each device's own update order",
      tags: TAGS,
      auth: 'platform',
      params: organizationParams,
      body: deviceChangesSchema,
      async handler({ params, body }) {
        return { status: 202, body: await devices.reportChanges(params.organizationId, body) };
      },
    }),
    route({
      method: 'GET',
      path: '/v1/organizations/:organizationId/devices',
      summary: "The organization's device counts and their sync state per PSA connection",
      tags: TAGS,
      auth: 'platform',
      params: organizationParams,
      async handler({ params }) {
        return { body: await devices.inventory(params.organizationId) };
      },
    }),
    route({
      method: 'GET',
      path: '/v1/partners/:partnerId/integrations/:psa/device-sync',
      summary: 'Device-sync settings of the connection (null when device sync was never set up)',
      tags: TAGS,
      auth: 'user',
      params: psaParams,
      async handler({ params, user }) {
        await authorize(user, params.partnerId);
        return { body: { settings: await devices.settings(await connectionOf(params.partnerId, params.psa)) } };
      },
    }),
    route({
      method: 'PUT',
      path: '/v1/partners/:partnerId/integrations/:psa/device-sync',
      summary: 'Set device sync: type source and map, match field, field mappings, unmapped organizations, link template, user matching, schedule',
      tags: TAGS,
      auth: 'user',
      params: psaParams,
      body: deviceSyncSettingsSchema,
      async handler({ params, body, user }) {
        const actor = await authorize(user, params.partnerId);
        return { body: { settings: await devices.setSettings(await connectionOf(params.partnerId, params.psa), body, actor) } };
      },
    }),
  ];
}
