/**
 * A device batch attempt Temporal has given up on writes nothing more. The Autotask simulator over
 * loopback HTTP, real PostgreSQL, the activity run as the worker runs it (an activity context whose
 * cancellation signal Temporal aborts once the attempt's heartbeat or start-to-close timeout
 * passes). The connection's hourly budget is used up, so the batch's create waits in the rate
 * governor; the attempt is abandoned while it waits. When the budget frees, the abandoned attempt
 * must not send its create: its retry is about to send the same one.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from '@temporalio/client';
import { MockActivityEnvironment } from '@temporalio/testing';
import type { Db } from '../../db/connect';
import type { ActivityDeps } from '../../activities/deps';
import { createDeviceActivities } from '../../activities/devices';
import { applyDeviceChanges, saveDeviceSyncSettings } from '../../db/repositories/devices';
import { DEFAULT_DEVICE_SYNC_SETTINGS, type DeviceReport } from '../../domain/devices';
import { PsaCallAbandoned } from '../../psa/core/call-context';
import { governorFor, resolveLimits } from '../../psa/core/factory';
import { AUTOTASK_DEFAULT_LIMITS } from '../../psa/autotask';
import { startAutotaskSim } from '../../sims/autotask';
import { INVENTORY_FIXTURES } from '../../sims/autotask/seed';
import { connectIntegration } from '../helpers/integration-fixture';
import { seedTenants } from '../helpers/seed';
import { memoryLogger, testDb, testKeys } from '../helpers/env';
import type { Sims } from '../helpers/stack';

/** Autotask's budget shrunk from 10,000 an hour to a few seconds' worth, so the test can wait it out. */
const LIMITS = { maxRequests: 40, windowMs: 3_000 };

let db: Db;
let autotask: Sims['autotask'];
let deps: ActivityDeps;

beforeAll(async () => {
  db = testDb();
  autotask = await startAutotaskSim();
  deps = {
    db,
    keys: testKeys(),
    psa: { urlPolicy: { allowHosts: ['127.0.0.1', 'localhost'], allowPrivateNetworks: true, allowHttp: true }, autotaskZoneLookupUrl: autotask.url, timeoutMs: 5000, limits: { autotask: LIMITS } },
    log: memoryLogger('device-batch').log,
    temporal: {} as Client,
    publicBaseUrl: 'http://127.0.0.1:9',
    platformCallbackUrl: null,
  };
});
afterAll(async () => {
  await autotask.close();
  await db.destroy();
});

const device = (deviceId: string): DeviceReport => ({ deviceId, updatedAt: new Date().toISOString(), nodeClass: 'WINDOWS_WORKSTATION', systemName: deviceId.toUpperCase() });
const creates = (from: number) => autotask.server.log.slice(from).filter((e) => e.method === 'POST' && /\/ConfigurationItems$/i.test(e.path)).length;
const configurationsOf = (deviceId: string) =>
  autotask.state.seed.configurationItems.filter((c) => c.userDefinedFields.some((u) => u.name === INVENTORY_FIXTURES.deviceIdUdf && u.value === deviceId));

test('an attempt abandoned while its create waits for the budget sends no create; its retry creates each configuration once', async () => {
  const tenants = await seedTenants(db, { organizationsPerPartner: 1 });
  const organizationId = tenants.direct.organizationIds[0] as string;
  const fx = await connectIntegration(db, deps.keys, { autotask } as Sims, { partnerId: tenants.direct.id, psa: 'autotask', organizationIds: [organizationId] });
  await saveDeviceSyncSettings(db, fx.connectionId, DEFAULT_DEVICE_SYNC_SETTINGS, null);
  const activities = createDeviceActivities(deps);
  const batch = { organizationId, connectionId: fx.connectionId };

  // A first batch reads what the connection needs once (zone, types, the first import), so the
  // next batch's first PSA call is its create.
  await applyDeviceChanges(db, organizationId, [{ op: 'upsert', device: device('warm-1') }]);
  expect(await new MockActivityEnvironment().run(activities.syncDeviceBatch, batch)).toMatchObject({ synced: 1, failed: 0 });

  // Everything else the connection does has used up the budget.
  const governor = governorFor(`${fx.connectionId}:autotask`, resolveLimits(AUTOTASK_DEFAULT_LIMITS, LIMITS));
  while (governor.snapshot().inWindow < LIMITS.maxRequests) (await governor.acquire('elsewhere'))();

  await applyDeviceChanges(db, organizationId, [{ op: 'upsert', device: device('late-1') }, { op: 'upsert', device: device('late-2') }]);
  const from = autotask.server.log.length;
  const abandonedEnv = new MockActivityEnvironment();
  // What the attempt's own code ends with (the environment answers Temporal with the cancel at once).
  let settle: (outcome: unknown) => void = () => undefined;
  const abandoned = new Promise<unknown>((resolve) => (settle = resolve));
  void abandonedEnv
    .run(() =>
      activities.syncDeviceBatch(batch).then(
        (r) => settle(r),
        (err: unknown) => settle(err),
      ),
    )
    .catch(() => undefined);
  // The attempt has claimed its creates and waits for the budget to send them.
  const claimed = () => db.selectFrom('deviceLinks').select('deviceId').where('connectionId', '=', fx.connectionId).where('status', '=', 'creating').execute();
  for (let i = 0; (await claimed()).length < 2; i += 1) {
    if (i > 100) throw new Error('the batch never claimed its creates');
    await sleep(20);
  }
  expect(creates(from)).toBe(0);
  // Temporal gives up on the attempt (its heartbeat timed out on the server, a retry is scheduled).
  abandonedEnv.cancel('TIMED_OUT');

  // The budget frees; the abandoned attempt stays silent and ends without having written.
  await sleep(LIMITS.windowMs + 1_000);
  expect(governor.snapshot().inWindow).toBeLessThan(LIMITS.maxRequests);
  expect(creates(from)).toBe(0);
  expect(await abandoned).toBeInstanceOf(PsaCallAbandoned);

  // The retry looks its claims up in the PSA, finds none made, and creates each device once.
  expect(await new MockActivityEnvironment().run(activities.syncDeviceBatch, batch)).toMatchObject({ synced: 2, failed: 0 });
  expect(creates(from)).toBe(2);
  for (const id of ['warm-1', 'late-1', 'late-2']) expect(configurationsOf(id)).toHaveLength(1);
});
