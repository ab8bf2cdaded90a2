/**
 * A PSA that refuses the stored credentials makes the connection Unhealthy in one place, with
 * one sentence, whichever activity made the call: a ticket write (as the worker runs it) or a
 * lifecycle change. Real PostgreSQL, the simulators over loopback with their API user locked.
 */
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { Db } from '../../db/connect';
import type { ActivityDeps } from '../../activities/deps';
import { createTicketActivities } from '../../activities/tickets';
import { createLifecycleActivities } from '../../activities/lifecycle';
import { startConnectWiseSim } from '../../sims/connectwise';
import { startAutotaskSim } from '../../sims/autotask';
import { startHaloPsaSim } from '../../sims/halopsa';
import { PSA_KINDS, PSA_LABELS, type PsaKind } from '../../psa/core/types';
import { connectIntegration } from '../helpers/integration-fixture';
import { seedTenants } from '../helpers/seed';
import { memoryLogger, testDb, testKeys } from '../helpers/env';
import type { Sims } from '../helpers/stack';

let db: Db;
let sims: Sims;
let deps: ActivityDeps;

beforeAll(async () => {
  db = testDb();
  const [connectwise, autotask, halopsa] = await Promise.all([startConnectWiseSim(), startAutotaskSim(), startHaloPsaSim()]);
  sims = { connectwise, autotask, halopsa };
  deps = {
    db,
    keys: testKeys(),
    psa: { urlPolicy: { allowHosts: ['127.0.0.1', 'localhost'], allowPrivateNetworks: true, allowHttp: true }, ca: connectwise.ca, autotaskZoneLookupUrl: autotask.url, timeoutMs: 5000 },
    log: memoryLogger('health').log,
    temporal: {} as Client,
    publicBaseUrl: 'http://127.0.0.1:9',
    platformCallbackUrl: null,
  };
});
afterAll(async () => {
  await Promise.all([sims.connectwise.close(), sims.autotask.close(), sims.halopsa.close()]);
  await db.destroy();
});

const lock = (psa: PsaKind, locked: boolean) => {
  if (psa === 'halopsa') sims.halopsa.state.setApplicationActive(!locked);
  else if (locked) sims[psa].state.lockApiUser();
  else sims[psa].state.unlockApiUser();
};

const failureOf = async (p: Promise<unknown>) => {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected the activity to fail');
};

const healthAudits = (connectionId: string) =>
  db.selectFrom('auditLog').select(['actor', 'outcome', 'detail']).where('connectionId', '=', connectionId).where('action', '=', 'integration.health').orderBy('id').execute();

describe.each(PSA_KINDS)('%s', (psa) => {
  test('a ticket call and a lifecycle change that meet a locked API user leave the same reason, audited once per change', async () => {
    const t = await seedTenants(db, { organizationsPerPartner: 1 });
    const organizationId = t.direct.organizationIds[0] as string;
    const fx = await connectIntegration(db, deps.keys, sims, { partnerId: t.direct.id, psa, organizationIds: [organizationId] });
    const alert = await db
      .insertInto('alerts')
      .values({ eventId: randomUUID(), partnerId: t.direct.id, organizationId, problem: 'backup_failed', event: 'raised', occurredAt: new Date(), detail: '{}' })
      .returning('id')
      .executeTakeFirstOrThrow();
    lock(psa, true);
    try {
      // The ticket engine: its failure leaves typed and non-retryable, the connection Unhealthy.
      const tickets = createTicketActivities(deps);
      const failed = await failureOf(tickets.openServiceTicket({ organizationId, problem: 'backup_failed', occurredAt: new Date().toISOString(), alertIds: [alert.id] }));
      expect(failed).toBeInstanceOf(ApplicationFailure);
      expect(failed).toMatchObject({ type: 'PsaAuthError', nonRetryable: true });
      const afterTicket = await db.selectFrom('connections').select(['health', 'healthReason']).where('id', '=', fx.connectionId).executeTakeFirstOrThrow();
      expect(afterTicket.health).toBe('unhealthy');
      const sentence = new RegExp(`^(The ${PSA_LABELS[psa]} API user is locked or inactive|${PSA_LABELS[psa]} rejected the stored credentials) \\(.+\\)$`);
      expect(afterTicket.healthReason).toMatch(sentence);
      expect(await healthAudits(fx.connectionId)).toEqual([{ actor: 'psa-sync:tickets', outcome: 'error', detail: { health: 'unhealthy', reason: afterTicket.healthReason } }]);
      // The alert keeps waiting for its outcome: nothing was written for it.
      expect((await db.selectFrom('alerts').select('outcome').where('id', '=', alert.id).executeTakeFirstOrThrow()).outcome).toBeNull();

      // The lifecycle, after an operator marked the row healthy: the same sentence (around the
      // PSA's own words for this call), from the same place.
      await db.updateTable('connections').set({ health: 'healthy', healthReason: null }).where('id', '=', fx.connectionId).execute();
      const lifecycle = createLifecycleActivities(deps);
      const refused = await failureOf(lifecycle.saveTicketMapping({ connectionId: fx.connectionId, actor: 'platform', values: fx.ticketMapping }));
      expect(refused).toMatchObject({ type: 'ConnectionUnhealthyError', details: [{ code: 'connection_unhealthy' }] });
      const reason = ((refused as ApplicationFailure).details?.[0] as { reason: string }).reason;
      expect(reason).toMatch(sentence);
      expect(await db.selectFrom('connections').select('healthReason').where('id', '=', fx.connectionId).executeTakeFirstOrThrow()).toEqual({ healthReason: reason });
      expect((await healthAudits(fx.connectionId)).map((a) => [a.actor, a.detail])).toEqual([
        ['psa-sync:tickets', { health: 'unhealthy', reason: afterTicket.healthReason }],
        ['platform', { health: 'unhealthy', reason }],
      ]);

      // A re-test that meets the same lock keeps it Unhealthy and audits no second change.
      const retested = await lifecycle.retestConnection({ connectionId: fx.connectionId, actor: 'platform', pendingCredentials: false });
      expect(retested).toMatchObject({ health: 'unhealthy' });
      expect(retested.reason).toMatch(sentence);
      expect(await healthAudits(fx.connectionId)).toHaveLength(2);
    } finally {
      lock(psa, false);
    }
    const lifecycle = createLifecycleActivities(deps);
    expect(await lifecycle.retestConnection({ connectionId: fx.connectionId, actor: 'platform', pendingCredentials: false })).toEqual({ health: 'healthy', reason: null, limitations: [] });
  });
});
