/**
 * A ticket create answered with a Retry-After longer than its local activity's timeout. Held
 * in the worker, the attempt would be given up on while it waited, and an abandoned attempt
 * that went on to write once the pause ended left a second ticket beside its retry's (seen
 * under an alert storm: 23 of 300 problems had two tickets). The call now leaves at once with
 * a place reserved after the pause, the run waits for it on a timer, and creates once.
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
  // The first create is throttled for 50 s: within the HTTP layer's inline wait (60 s), past the attempt's 45 s.
  const throttle = sim.addFault({ method: 'POST', path: '/tickets$', kind: 'rate_limit', retryAfterSec: 50, times: 1 });
  const started = Date.now();

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
  const creates = sim.log.filter((e) => e.method === 'POST' && /\/tickets$/i.test(e.path));
  expect(creates.map((e) => e.status)).toEqual([429, 201]);
  expect((creates[1]?.at ?? 0) - started).toBeGreaterThanOrEqual(49_000);
  // The run waited on a timer with its place, not in a held local activity.
  const history = await stack.client.workflow.getHandle(`ticket/${org}/backup_failed`).fetchHistory();
  expect(history.events?.some((e) => e.timerStartedEventAttributes)).toBe(true);
  expect(history.events?.some((e) => e.workflowTaskTimedOutEventAttributes)).toBe(false);
}, 180_000);
