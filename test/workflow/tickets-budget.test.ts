/**
 * An alert storm against a small HaloPSA budget, on real Temporal, PostgreSQL and the simulator:
 * every problem's call that the budget cannot serve soon is given a reserved place and its run
 * waits on a timer, so the storm drains at the budget's rate with no 429, one request per new
 * ticket (the first attempt of an episode creates without a marker search), and the safety polls
 * of tickets already open give way until every waiting open has been served.
 */
import { seedTenants } from '../helpers/seed';
import { startStack, type Stack } from '../helpers/stack';
import { testKeys, uniqueTaskQueue } from '../helpers/env';
import { connectIntegration } from '../helpers/integration-fixture';
import { ticketMarker } from '../../workflows/ticket-messages';
import { createAlertsClient } from '../../client/alerts';
import { alertEvent, FAST_POLICY, startPlatformEndpoint, waitFor } from './tickets-helpers';

const BUDGET = { maxRequests: 10, windowMs: 8_000 };
const ORGS = 30;

let stack: Stack;

beforeAll(async () => {
  stack = await startStack('tickets-budget');
});
afterAll(async () => {
  await stack?.close();
});

test(`${ORGS} problems at once against ${BUDGET.maxRequests} requests / ${BUDGET.windowMs / 1000} s: one ticket each, no 429, one request per ticket, polls wait their turn`, async () => {
  const tenants = await seedTenants(stack.db, { organizationsPerPartner: ORGS });
  const partner = tenants.direct;
  await connectIntegration(stack.db, testKeys(), stack.sims, { partnerId: partner.id, psa: 'halopsa', organizationIds: partner.organizationIds });
  const sim = stack.sims.halopsa;
  sim.server.reset();
  const defaultLimit = { ...sim.state.rateLimit };
  sim.state.rateLimit = { ...defaultLimit, ...BUDGET };
  const platform = await startPlatformEndpoint();
  const taskQueue = uniqueTaskQueue('tickets-budget');
  const worker = await stack.temporal.startWorker(taskQueue, { ...stack.deps, psa: { ...stack.deps.psa, limits: { halopsa: BUDGET } }, platformCallbackUrl: platform.url });
  const alerts = createAlertsClient({ db: stack.db, temporal: stack.client, taskQueue, policy: { ...FAST_POLICY, debounceMs: 500, pollIntervalMs: 5_000 } });
  try {
    const started = Date.now();
    const events = partner.organizationIds.map((org) => alertEvent(org, 'backup_failed', 'raised'));
    await Promise.all(events.map((e) => alerts.reportAlert(e)));
    const outcomes = await waitFor(
      'every alert to be handled',
      async () => {
        const rows = await stack.db.selectFrom('alerts').select(['outcome']).where('eventId', 'in', events.map((e) => e.eventId)).execute();
        return rows.every((r) => r.outcome) ? rows : null;
      },
      150_000,
      250,
    );
    const drainedMs = Date.now() - started;
    expect(outcomes.map((r) => r.outcome)).toEqual(Array(ORGS).fill('ticket_created'));
    for (const org of partner.organizationIds) expect(sim.state.ticketsWithMarker(ticketMarker(org, 'backup_failed', 1))).toHaveLength(1);

    const log = sim.server.log;
    expect(log.filter((e) => e.status === 429)).toEqual([]);
    const creates = log.filter((e) => e.method === 'POST' && /\/tickets$/i.test(e.path));
    expect(creates).toHaveLength(ORGS);
    // No marker search: every create was its episode's first.
    expect(log.filter((e) => e.method === 'GET' && /\/tickets$/i.test(e.path))).toHaveLength(0);
    // The budget was what paced it: 30 creates need at least two windows after the first.
    expect(drainedMs).toBeGreaterThanOrEqual(2 * BUDGET.windowMs);
    // Polls of tickets already open (due every 5 s) waited until the last waiting open was sent.
    const lastCreateAt = Math.max(...creates.map((e) => e.at));
    const pollsDuringStorm = log.filter((e) => e.method === 'GET' && /\/tickets\/\d+$/i.test(e.path) && e.at < lastCreateAt);
    expect(pollsDuringStorm).toEqual([]);
    // ...and were not simply switched off: once the storm is over they read the tickets again.
    await waitFor('a safety poll after the storm', async () => sim.server.log.some((e) => e.method === 'GET' && /\/tickets\/\d+$/i.test(e.path) && e.status === 200), 60_000, 250);
    expect(sim.server.log.filter((e) => e.status === 429)).toEqual([]);
  } finally {
    await worker.stop();
    await platform.close();
    sim.state.rateLimit = defaultLimit;
  }
}, 240_000);
