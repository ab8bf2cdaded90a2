/**
 * A ticket call that outlives its local activity's timeout while it waits out the PSA's
 * Retry-After. The attempt Temporal gave up on must not go on to write once the pause ends:
 * its retry is already waiting for the same pause, and two attempts that each find no ticket
 * and create one leave the problem with two PSA tickets. (Seen under an alert storm before
 * PSA calls were bound to their attempt: 23 of 300 problems had two tickets.)
 */
import { seedTenants } from '../helpers/seed';
import { startStack, type Stack } from '../helpers/stack';
import { testKeys } from '../helpers/env';
import { connectIntegration, simControls } from '../helpers/integration-fixture';
import { ticketMarker } from '../../workflows/ticket-messages';
import { ticketPsaCall } from '../../workflows/service-ticket-options';
import { alertEvent, startTicketRig, waitFor, type TicketRig } from './tickets-helpers';

let stack: Stack;
let rig: TicketRig;

beforeAll(async () => {
  stack = await startStack('tickets-throttled');
  rig = await startTicketRig(stack);
});
afterAll(async () => {
  await rig?.stop();
  await stack?.close();
});

test('a Retry-After longer than the ticket call\'s timeout: the abandoned attempt writes nothing, the problem gets one ticket', async () => {
  expect(ticketPsaCall.startToCloseTimeout).toBe('45s'); // the pause below outlasts it
  const tenants = await seedTenants(stack.db, { organizationsPerPartner: 1 });
  const partner = tenants.direct;
  await connectIntegration(stack.db, testKeys(), stack.sims, { partnerId: partner.id, psa: 'halopsa', organizationIds: partner.organizationIds });
  const org = partner.organizationIds[0] as string;
  const sim = stack.sims.halopsa.server;
  sim.reset();
  // The first ticket lookup is throttled for 50 s: within the HTTP layer's inline wait (60 s), past the attempt's 45 s.
  const throttle = sim.addFault({ method: 'GET', path: '/tickets$', kind: 'rate_limit', retryAfterSec: 50, times: 1 });

  const raised = alertEvent(org, 'backup_failed', 'raised');
  await rig.alerts.reportAlert(raised);
  const row = await waitFor(
    'the alert to be handled',
    async () => {
      const r = await stack.db.selectFrom('alerts').select(['outcome']).where('eventId', '=', raised.eventId).executeTakeFirstOrThrow();
      return r.outcome ? r : null;
    },
    120_000,
    250,
  );
  expect(throttle.used).toBe(1);
  expect(row.outcome).toBe('ticket_created');
  const marker = ticketMarker(org, 'backup_failed', 1);
  expect(simControls('halopsa', stack.sims).ticketsWithMarker(marker)).toBe(1);
  expect(sim.log.filter((e) => e.method === 'POST' && /\/tickets$/i.test(e.path))).toHaveLength(1);
}, 180_000);
