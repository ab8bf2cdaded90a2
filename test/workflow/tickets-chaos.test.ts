/**
 * Exactly once, proven: a burst of alerts for 30 organizations across the three simulators,
 * with 5xx, 429 + Retry-After, timeouts, lost create answers and a ticket-event subscription cut
 * short injected, while the worker process is SIGKILLed and restarted repeatedly. Afterwards
 * every problem has exactly one PSA ticket, every alert has an outcome, and after the recoveries
 * no ticket is left open. Every kind of fault is dealt in every run, by construction (see injectFaults).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { PsaKind } from '../../psa/core/types';
import { seedTenants } from '../helpers/seed';
import { startStack, type Stack } from '../helpers/stack';
import { testKeys } from '../helpers/env';
import { addOrganizations, connectIntegration, simControls } from '../helpers/integration-fixture';
import { startWorkerProcess, type WorkerProcess } from '../helpers/worker-process';
import { uniqueTaskQueue } from '../helpers/env';
import { createAlertsClient } from '../../client/alerts';
import { ticketMarker, type Problem } from '../../workflows/ticket-messages';
import { alertEvent, FAST_POLICY, startPlatformEndpoint, waitFor } from './tickets-helpers';

jest.setTimeout(600_000);

const ORGS_PER_PSA = 10;
const PSAS: PsaKind[] = ['connectwise', 'autotask', 'halopsa'];
const PROBLEM: Problem = 'backup_failed';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack('tickets-chaos');
});
afterAll(async () => {
  await stack?.close();
});

/**
 * A simulator deals the first fault whose method and path match, in the order added, until its
 * `times` are used up. So that every kind is dealt in every run, whatever the timing:
 *  - the first 3 ticket creates of each PSA are committed and their answers dropped (each phase
 *    of raises creates 10 tickets per PSA);
 *  - the first 9 other requests on ticket paths get, in order, 4 × 503, 3 × 429 with Retry-After
 *    and 2 timeouts (each open reads by marker first, 10 per PSA);
 *  - Autotask's first ticket-event subscription, made before any worker is killed (below) and on
 *    paths the other faults leave alone, times out at its excluded-resource step: cut short.
 */
function injectFaults() {
  for (const psa of PSAS) {
    const server = stack.sims[psa].server;
    server.addFault({ kind: 'commit_then_drop', method: 'POST', path: 'tickets$', times: 3 });
    // A ticket-event subscription cut short between its steps (Autotask makes one in several calls).
    server.addFault({ kind: 'timeout', method: 'POST', path: 'excludedresources$', ms: 1_500, times: 1 });
    server.addFault({ kind: 'status', status: 503, path: TICKET_PATHS, times: 4 });
    server.addFault({ kind: 'rate_limit', retryAfterSec: 1, path: TICKET_PATHS, times: 3 });
    server.addFault({ kind: 'timeout', ms: 1_500, path: TICKET_PATHS, times: 2 });
  }
}

/** Ticket records and their queries in all three APIs (`TicketWebhooks` does not match). */
const TICKET_PATHS = '/tickets(/|$)';

/** The kinds of fault a simulator dealt, from its request log. */
function faultsDealt(psa: PsaKind) {
  const log = stack.sims[psa].server.log;
  return {
    '5xx': log.some((l) => l.fault === 'status' && l.status >= 500),
    '429 + Retry-After': log.some((l) => l.fault === 'rate_limit' && l.status === 429),
    timeout: log.some((l) => l.fault === 'timeout' && !/excludedresources$/i.test(l.path)),
    'commit-then-drop': log.some((l) => l.fault === 'commit_then_drop'),
  };
}

/** Autotask's subscription timed out at its excluded-resource step and its half-made webhook was deleted. */
function subscriptionCutShort(): boolean {
  const log = stack.sims.autotask.server.log;
  const cut = log.findIndex((l) => l.fault === 'timeout' && /\/ticketwebhooks\/\d+\/excludedresources$/i.test(l.path));
  return cut >= 0 && log.slice(cut + 1).some((l) => l.method === 'DELETE' && /\/ticketwebhooks\/\d+$/i.test(l.path));
}

test('30 organizations × 3 PSAs, faults and repeated SIGKILLs: one ticket per problem, no alert lost, all closed after recovery', async () => {
  const tenants = await seedTenants(stack.db, { organizationsPerPartner: 0 });
  const partners = { connectwise: tenants.master, autotask: tenants.direct, halopsa: tenants.sub };
  const orgsByPsa = {} as Record<PsaKind, string[]>;
  for (const psa of PSAS) {
    const p = partners[psa];
    orgsByPsa[psa] = await addOrganizations(stack.db, p.id, p.planId, ORGS_PER_PSA, `Chaos ${psa}`);
    await connectIntegration(stack.db, testKeys(), stack.sims, { partnerId: p.id, psa, organizationIds: orgsByPsa[psa] });
  }
  const platform = await startPlatformEndpoint();
  const caFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'cw-ca-')), 'ca.pem');
  fs.writeFileSync(caFile, stack.sims.connectwise.ca);
  const taskQueue = uniqueTaskQueue('tickets-chaos');
  const env = {
    PSA_ALLOW_PRIVATE_NETWORKS: 'true',
    PSA_ALLOW_HTTP: 'true',
    PSA_ALLOW_HOSTS: '127.0.0.1,localhost',
    PSA_EXTRA_CA_FILE: caFile,
    AUTOTASK_ZONE_URL: stack.sims.autotask.url,
    PUBLIC_BASE_URL: stack.apiUrl,
    PLATFORM_CALLBACK_URL: platform.url,
  };
  const alerts = createAlertsClient({ db: stack.db, temporal: stack.client, taskQueue, policy: { ...FAST_POLICY, debounceMs: 500, flapWindowMs: 1_000 } });
  let worker: WorkerProcess = await startWorkerProcess({ taskQueue, env });
  let kills = 0;
  const chaos = async (cycles: number) => {
    for (let i = 0; i < cycles; i += 1) {
      await new Promise((r) => setTimeout(r, 700 + (i % 3) * 400));
      await worker.kill();
      kills += 1;
      worker = await startWorkerProcess({ taskQueue, env });
    }
  };
  const allOrgs = PSAS.flatMap((psa) => orgsByPsa[psa].map((org) => ({ psa, org })));
  const eventIds: string[] = [];
  const report = async (org: string, event: 'raised' | 'recovered') => {
    const e = alertEvent(org, PROBLEM, event);
    eventIds.push(e.eventId);
    await alerts.reportAlert(e);
  };
  const unhandled = async () =>
    (await stack.db.selectFrom('alerts').select('id').where('eventId', 'in', eventIds).where('outcome', 'is', null).execute()).length;

  try {
    injectFaults();
    // One raise per PSA before the kills begin, so Autotask's first subscription runs to its
    // faulted step with no worker dying under it.
    const firsts = PSAS.map((psa) => orgsByPsa[psa][0] as string);
    for (const org of firsts) await report(org, 'raised');
    await waitFor('the first raise of each PSA handled', async () => (await unhandled()) === 0, 120_000, 200);
    expect(subscriptionCutShort()).toBe(true);
    // The burst: a raise for every other organization and a repeat for all, while the worker keeps dying.
    const burst = (async () => {
      for (const { org } of allOrgs) if (!firsts.includes(org)) await report(org, 'raised');
      for (const { org } of allOrgs) await report(org, 'raised');
    })();
    await Promise.all([burst, chaos(4)]);
    await waitFor('every raise handled', async () => (await unhandled()) === 0, 240_000, 500);

    injectFaults();
    const recoveries = (async () => {
      for (const { org } of allOrgs) await report(org, 'recovered');
    })();
    await Promise.all([recoveries, chaos(3)]);
    await waitFor('every recovery handled', async () => (await unhandled()) === 0, 240_000, 500);

    // Exactly one PSA ticket per organization × problem, no note twice, and none left open.
    const counts: Record<string, number> = {};
    let openInPsa = 0;
    const wrong: Record<string, unknown>[] = [];
    for (const { psa, org } of allOrgs) {
      const marker = ticketMarker(org, PROBLEM, 1);
      const sim = simControls(psa, stack.sims);
      const inPsa = sim.ticketsWithMarker(marker);
      counts[`${psa}:${inPsa}`] = (counts[`${psa}:${inPsa}`] ?? 0) + 1;
      const row = await stack.db.selectFrom('tickets').selectAll().where('marker', '=', marker).executeTakeFirst();
      const psaOpen = row ? !sim.isClosed(row.psaTicketId) : null;
      if (psaOpen) openInPsa += 1;
      // Every note of ours carries its token: each one in the PSA exactly once, none beyond the row's count.
      const noteCopies = row ? Array.from({ length: row.noteCount + 1 }, (_, i) => sim.notesContaining(row.psaTicketId, `${marker}#note-${i + 1}`)) : [];
      const notesOnce = noteCopies.every((copies, i) => copies === (i < noteCopies.length - 1 ? 1 : 0));
      if (inPsa !== 1 || row?.state !== 'closed' || psaOpen || !notesOnce) {
        // Everything needed to tell what went wrong for this problem, in the failure message.
        const alertRows = await stack.db
          .selectFrom('alerts')
          .select(['event', 'outcome', 'reason', 'receivedAt', 'handledAt'])
          .where('organizationId', '=', org)
          .where('eventId', 'in', eventIds)
          .orderBy('receivedAt')
          .execute();
        const audit = await stack.db.selectFrom('auditLog').select(['action', 'outcome', 'detail', 'at']).where('target', '=', `ticket:${marker}`).orderBy('at').execute();
        wrong.push({ psa, marker, ticketsInPsa: inPsa, row: row && { state: row.state, closedBy: row.closedBy, touchedByOthers: row.touchedByOthers, noteCount: row.noteCount }, psaOpen, noteCopies, alertRows, audit });
      }
    }
    // No live subscription may report our own writes as someone else's work.
    const ownResource = stack.sims.autotask.state.seed.apiUser.resourceId;
    const echoing = [...stack.sims.autotask.state.webhooks.values()].filter((w) => w.isActive && !w.excludedResources.includes(ownResource));
    expect(echoing).toEqual([]);
    expect(wrong).toEqual([]);
    expect(openInPsa).toBe(0);
    const outcomes = await stack.db
      .selectFrom('alerts')
      .select(['outcome'])
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('eventId', 'in', eventIds)
      .groupBy('outcome')
      .execute();
    const byOutcome = Object.fromEntries(outcomes.map((o) => [o.outcome, Number(o.n)]));
    expect(byOutcome.skipped).toBeUndefined();
    expect((byOutcome.ticket_created ?? 0) + (byOutcome.ticket_adopted ?? 0)).toBe(allOrgs.length);
    expect(byOutcome.closed).toBe(allOrgs.length);
    // Every kind of fault was dealt by every simulator (Autotask's subscription was cut short above).
    const allKinds = { '5xx': true, '429 + Retry-After': true, timeout: true, 'commit-then-drop': true };
    expect(Object.fromEntries(PSAS.map((psa) => [psa, faultsDealt(psa)]))).toEqual({ connectwise: allKinds, autotask: allKinds, halopsa: allKinds });
    const faultsHit = PSAS.map((psa) => stack.sims[psa].server.log.filter((l: { fault: string | null }) => l.fault !== null).length);
    console.log(
      `[tickets-chaos] ${allOrgs.length} organizations, ${eventIds.length} alerts, ${kills} SIGKILLs, faults hit per PSA ${JSON.stringify(Object.fromEntries(PSAS.map((p, i) => [p, faultsHit[i]])))}; ` +
        `tickets per marker ${JSON.stringify(counts)}; outcomes ${JSON.stringify(byOutcome)}; open in PSA after recovery: ${openInPsa}`,
    );
  } finally {
    await worker.kill().catch(() => undefined);
    await platform.close();
    for (const psa of PSAS) stack.sims[psa].server.clearFaults();
  }
});
