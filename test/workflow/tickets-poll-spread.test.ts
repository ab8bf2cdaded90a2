/**
 * Runs opened together read their tickets back apart: each safety poll waits a draw from ±20% of
 * the policy's interval, so the runs of an alert storm do not all wake, and all read the PSA, in
 * the same second (a thousand did, and their workflow tasks waited past the sticky queue's 10 s).
 * Real Temporal, PostgreSQL and the HaloPSA simulator.
 */
import { seedTenants } from '../helpers/seed';
import { startStack, type Stack } from '../helpers/stack';
import { testKeys, uniqueTaskQueue } from '../helpers/env';
import { connectIntegration } from '../helpers/integration-fixture';
import { ticketMarker } from '../../workflows/ticket-messages';
import { createAlertsClient } from '../../client/alerts';
import { alertEvent, FAST_POLICY, startPlatformEndpoint, waitFor } from './tickets-helpers';

const ORGS = 12;
const POLL_MS = 10_000;

let stack: Stack;

beforeAll(async () => {
  stack = await startStack('tickets-poll-spread');
});
afterAll(async () => {
  await stack?.close();
});

test(`${ORGS} tickets opened together are each read back ${POLL_MS / 1000} s ±20% later, not all at once`, async () => {
  const tenants = await seedTenants(stack.db, { organizationsPerPartner: ORGS });
  const partner = tenants.direct;
  await connectIntegration(stack.db, testKeys(), stack.sims, { partnerId: partner.id, psa: 'halopsa', organizationIds: partner.organizationIds });
  const sim = stack.sims.halopsa;
  sim.server.reset();
  const platform = await startPlatformEndpoint();
  const taskQueue = uniqueTaskQueue('tickets-poll-spread');
  const worker = await stack.temporal.startWorker(taskQueue, { ...stack.deps, platformCallbackUrl: platform.url });
  const alerts = createAlertsClient({ db: stack.db, temporal: stack.client, taskQueue, policy: { ...FAST_POLICY, pollIntervalMs: POLL_MS } });
  try {
    await Promise.all(partner.organizationIds.map((org) => alerts.reportAlert(alertEvent(org, 'backup_failed', 'raised'))));
    const tickets = await waitFor('every ticket', async () => {
      const found = partner.organizationIds.map((org) => sim.state.ticketsWithMarker(ticketMarker(org, 'backup_failed', 1))[0]);
      return found.every((t) => t) ? found.map((t) => t as NonNullable<typeof t>) : null;
    });
    // Each ticket's first read-back after its create, by ticket id in the simulator's log.
    const waits = await waitFor(
      'a safety poll of every ticket',
      async () => {
        const polls = tickets.map((t) => sim.server.log.find((e) => e.method === 'GET' && e.path.toLowerCase() === `/api/tickets/${t.id}` && e.at >= Date.parse(t.datecreated)));
        return polls.every((p) => p) ? polls.map((p, i) => (p?.at as number) - Date.parse(tickets[i]?.datecreated as string)) : null;
      },
      3 * POLL_MS,
      100,
    );
    for (const w of waits) {
      expect(w).toBeGreaterThanOrEqual(0.8 * POLL_MS - 250);
      expect(w).toBeLessThanOrEqual(1.2 * POLL_MS + 3_000);
    }
    // The draws are spread over 4 s; twelve of them fall within 1 s of each other with a
    // probability of about 3 in a million, while equal waits differ only by scheduling noise.
    expect(Math.max(...waits) - Math.min(...waits)).toBeGreaterThanOrEqual(1_000);
  } finally {
    await worker.stop();
    await platform.close();
  }
}, 120_000);
