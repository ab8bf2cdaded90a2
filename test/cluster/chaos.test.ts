/**
 * The production topology under chaos: Temporal Server on a private PostgreSQL, three worker
 * processes and the API as `npm run start:cluster` runs them. 1,000 alerts (raises, repeats,
 * recoveries) for 400 problems over 300 organizations and the three PSA simulators, with 5xx,
 * 429 + Retry-After, never-answered requests and lost create answers injected, a worker
 * SIGKILLed every few seconds, and PostgreSQL (Temporal's and the app's) crashed and restarted
 * once mid-run. Afterwards: every problem has exactly one PSA ticket (closed after its
 * recovery, each note once), every alert has an outcome, and no run is left running or failed.
 */
import path from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import type { PsaKind } from '../../psa/core/types';
import { KeyRing } from '../../security/crypto';
import { seedTenants } from '../helpers/seed';
import { addOrganizations, connectIntegration, simControls } from '../helpers/integration-fixture';
import { createAlertsClient } from '../../client/alerts';
import { PROBLEMS, ticketMarker, type Problem } from '../../workflows/ticket-messages';
import { TOPOLOGY } from '../../infra/cluster/topology';
import { startPlatformEndpoint, waitFor, type PlatformEndpoint } from '../workflow/tickets-helpers';
import { startClusterStack, type ClusterStack } from './cluster-stack';

jest.setTimeout(900_000);

const PSAS: PsaKind[] = ['connectwise', 'autotask', 'halopsa'];
const ORGS_PER_PSA = 100;
/** Organizations (per PSA) that also have a second problem: 300 + 100 = 400 problems. */
const SECOND_PROBLEM_PER_PSA = 34;
const KILL_EVERY_MS = 3_000;

const encryptionKeys = `cluster:${randomBytes(32).toString('base64')}`;
const keys = new KeyRing({ cluster: Buffer.from(encryptionKeys.split(':')[1] as string, 'base64') });
let stack: ClusterStack;
let platform: PlatformEndpoint;
const progress: string[] = [];
const say = (line: string) => {
  const stamped = `${new Date().toISOString().slice(11, 19)} ${line}`;
  progress.push(stamped);
  if (process.env.CLUSTER_CHAOS_VERBOSE) process.stderr.write(`[cluster-chaos] ${stamped}\n`);
};

beforeAll(async () => {
  platform = await startPlatformEndpoint();
  stack = await startClusterStack({
    label: 'cluster-chaos',
    keys,
    encryptionKeys,
    workers: 3,
    workerEntry: path.join(__dirname, 'worker-entry.ts'),
    simRateLimit: { maxRequests: 100_000, windowMs: 60_000 },
    env: { PLATFORM_CALLBACK_URL: platform.url },
    log: say,
  });
});

afterAll(async () => {
  await stack?.close();
  await platform?.close();
});

function injectFaults() {
  for (const psa of PSAS) {
    const server = stack.sims[psa].server;
    server.addFault({ kind: 'commit_then_drop', method: 'POST', path: 'tickets$', times: 6 });
    server.addFault({ kind: 'timeout', method: 'POST', path: 'excludedresources$', ms: 1_500, times: 1 });
    server.addFault({ kind: 'status', status: 503, times: 8 });
    server.addFault({ kind: 'rate_limit', retryAfterSec: 1, times: 5 });
    server.addFault({ kind: 'timeout', ms: 6_000, times: 4 });
  }
}

/** The platform retries a delivery that failed (PostgreSQL or Temporal down); the event id keeps it one alert. */
async function deliver(send: () => Promise<unknown>): Promise<number> {
  const deadline = Date.now() + 180_000;
  for (let failures = 0; ; failures += 1) {
    try {
      await send();
      return failures;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

async function pool<T>(items: T[], width: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) await fn(items[next++] as T);
    }),
  );
}

test('1,000 alerts over 300 organizations, faults, worker SIGKILLs and a PostgreSQL restart: one ticket per problem, no alert lost, no run stuck', async () => {
  const started = Date.now();
  const { db, sims, cluster, client } = stack;
  const tenants = await seedTenants(db, { organizationsPerPartner: 0 });
  const partners = { connectwise: tenants.master, autotask: tenants.direct, halopsa: tenants.sub };
  const problems: { psa: PsaKind; org: string; problem: Problem }[] = [];
  for (const psa of PSAS) {
    const p = partners[psa];
    const orgs = await addOrganizations(db, p.id, p.planId, ORGS_PER_PSA, `Cluster ${psa}`);
    await connectIntegration(db, keys, sims, { partnerId: p.id, psa, organizationIds: orgs });
    orgs.forEach((org, i) => {
      problems.push({ psa, org, problem: PROBLEMS[0] });
      if (i < SECOND_PROBLEM_PER_PSA) problems.push({ psa, org, problem: PROBLEMS[1 + (i % (PROBLEMS.length - 1))] as Problem });
    });
  }
  // Alerts for the last few problems make up the rest of the 1,000 as repeats.
  const repeats = problems.slice(0, 1_000 - 2 * problems.length);
  expect(problems.length * 2 + repeats.length).toBe(1_000);

  const alerts = createAlertsClient({
    db,
    temporal: client,
    taskQueue: TOPOLOGY.taskQueue,
    policy: { debounceMs: 500, flapWindowMs: 1_000, catchUpWindowMs: 600_000, pollIntervalMs: 600_000, outageRetryMs: 1_000 },
  });
  const eventIds: string[] = [];
  let redeliveries = 0;
  const report = async (p: { org: string; problem: Problem }, event: 'raised' | 'recovered') => {
    const eventId = `evt-${randomUUID()}`;
    eventIds.push(eventId);
    const occurredAt = new Date().toISOString();
    redeliveries += await deliver(() => alerts.reportAlert({ eventId, organizationId: p.org, problem: p.problem, event, occurredAt }));
  };
  const unhandled = async () => {
    try {
      const rows = await db.selectFrom('alerts').select('eventId').where('eventId', 'in', eventIds).where('outcome', 'is not', null).execute();
      return eventIds.length - rows.length;
    } catch {
      return -1; // PostgreSQL is restarting
    }
  };

  /** As compose's `restart: unless-stopped`: a worker that cannot start (PostgreSQL down) is tried again. */
  const bringBack = async (w: number) => {
    const deadline = Date.now() + 120_000;
    for (;;) {
      try {
        return await cluster.startWorker(w);
      } catch (err) {
        if (Date.now() > deadline) throw err;
        say(`${cluster.workers[w]?.service} did not start (${(err as Error).message.split('\n')[0]}); trying again`);
        await new Promise((r) => setTimeout(r, 1_000));
      }
    }
  };
  // Chaos: a worker SIGKILLed every few seconds and started again at once (a start takes seconds,
  // so kills overlap restarts); one worker is always left running. A worker that ended on its own
  // is started again too, as compose's `restart: unless-stopped` and the cluster launcher do, and
  // counted with how it ended.
  let kills = 0;
  const ownExits: string[] = [];
  let chaosOn = true;
  const restarting = new Map<number, Promise<void>>();
  const chaos = (async () => {
    for (let i = 0; chaosOn; i += 1) {
      await new Promise((r) => setTimeout(r, KILL_EVERY_MS));
      if (!chaosOn) break;
      for (const [w, slot] of cluster.workers.entries()) {
        if (restarting.has(w) || !slot.process || slot.process.isRunning()) continue;
        const how = await slot.process.exited;
        ownExits.push(how);
        say(`${slot.service} ended on its own (${how}); starting it again`);
        restarting.set(w, bringBack(w).finally(() => restarting.delete(w)));
      }
      const up = cluster.workers.map((_, w) => w).filter((w) => !restarting.has(w) && cluster.workers[w]?.process?.isRunning());
      if (up.length < 2) continue;
      const w = up[i % up.length] as number;
      await cluster.killWorker(w);
      kills += 1;
      restarting.set(w, bringBack(w).finally(() => restarting.delete(w)));
    }
    await Promise.all(restarting.values());
  })();
  let pgRestarts = 0;

  try {
    injectFaults();
    say('phase 1: raises and repeats');
    const raises = pool(problems, 8, (p) => report(p, 'raised'));
    // PostgreSQL crashes once while the raises are still arriving.
    const restart = (async () => {
      await waitFor('half the raises sent', async () => eventIds.length >= problems.length / 2, 300_000, 100);
      say('PostgreSQL: immediate shutdown, restart');
      await stack.pg.restart(2_000);
      pgRestarts += 1;
      say('PostgreSQL: back');
    })();
    await Promise.all([raises, restart]);
    await pool(repeats, 8, (p) => report(p, 'raised'));
    await waitFor('every raise handled', async () => (await unhandled()) === 0, 420_000, 1_000);
    say(`phase 1 handled after ${Math.round((Date.now() - started) / 1000)} s`);

    injectFaults();
    say('phase 2: recoveries');
    await pool(problems, 8, (p) => report(p, 'recovered'));
    await waitFor('every recovery handled', async () => (await unhandled()) === 0, 420_000, 1_000);
    // No run is stuck: every service-ticket run ends once its ticket is closed and the flap window passed.
    await waitFor(
      'every run ended',
      async () => (await client.workflow.count(`WorkflowType = "serviceTicketWorkflow" AND ExecutionStatus = "Running"`)).count === 0,
      180_000,
      1_000,
    );
  } finally {
    chaosOn = false;
    await chaos;
    for (const psa of PSAS) stack.sims[psa].server.clearFaults();
  }

  // Exactly one PSA ticket per problem, closed, every tokened note once.
  const perMarker: Record<string, number> = {};
  const wrong: Record<string, unknown>[] = [];
  for (const { psa, org, problem } of problems) {
    const marker = ticketMarker(org, problem, 1);
    const sim = simControls(psa, sims);
    const inPsa = sim.ticketsWithMarker(marker);
    perMarker[`${psa}:${inPsa}`] = (perMarker[`${psa}:${inPsa}`] ?? 0) + 1;
    const row = await db.selectFrom('tickets').selectAll().where('marker', '=', marker).executeTakeFirst();
    const psaOpen = row ? !sim.isClosed(row.psaTicketId) : null;
    const noteCopies = row ? Array.from({ length: row.noteCount + 1 }, (_, i) => sim.notesContaining(row.psaTicketId, `${marker}#note-${i + 1}`)) : [];
    const notesOnce = noteCopies.every((copies, i) => copies === (i < noteCopies.length - 1 ? 1 : 0));
    if (inPsa !== 1 || row?.state !== 'closed' || psaOpen || !notesOnce) {
      const audit = await db.selectFrom('auditLog').select(['action', 'outcome', 'detail', 'at']).where('target', '=', `ticket:${marker}`).orderBy('at').execute();
      wrong.push({ psa, marker, ticketsInPsa: inPsa, row: row && { state: row.state, closedBy: row.closedBy, noteCount: row.noteCount }, psaOpen, noteCopies, audit });
    }
  }
  const outcomes = await db
    .selectFrom('alerts')
    .select(['outcome'])
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('eventId', 'in', eventIds)
    .groupBy('outcome')
    .execute();
  const byOutcome = Object.fromEntries(outcomes.map((o) => [o.outcome, Number(o.n)]));
  const failedRuns = (await client.workflow.count(`WorkflowType = "serviceTicketWorkflow" AND ExecutionStatus IN ("Failed", "TimedOut", "Terminated")`)).count;
  const runs = (await client.workflow.count(`WorkflowType = "serviceTicketWorkflow"`)).count;
  // SQL visibility answers ops' queries by our search attributes.
  const haloRuns = (await client.workflow.count(`WorkflowType = "serviceTicketWorkflow" AND PsaPartnerId = "${partners.halopsa.id}"`)).count;
  const faultsHit = Object.fromEntries(PSAS.map((psa) => [psa, stack.sims[psa].server.log.filter((l: { fault: string | null }) => l.fault !== null).length]));

  console.log(
    `[cluster-chaos] ${problems.length} problems over ${PSAS.length * ORGS_PER_PSA} organizations, ${eventIds.length} alerts (${redeliveries} redelivered after a failure), ` +
      `${cluster.workers.length} workers, ${kills} SIGKILLs, ${ownExits.length} workers ended on their own ${JSON.stringify(ownExits)}, ${pgRestarts} PostgreSQL restart; faults hit ${JSON.stringify(faultsHit)}; ` +
      `tickets per problem ${JSON.stringify(perMarker)}; outcomes ${JSON.stringify(byOutcome)}; runs ${runs} (failed ${failedRuns}); ` +
      `${Math.round((Date.now() - started) / 1000)} s\n  ${progress.join('\n  ')}`,
  );
  expect(wrong).toEqual([]);
  expect(eventIds.length).toBe(1_000);
  expect(byOutcome.null).toBeUndefined();
  expect(byOutcome.skipped).toBeUndefined();
  expect((byOutcome.ticket_created ?? 0) + (byOutcome.ticket_adopted ?? 0)).toBe(problems.length);
  expect(byOutcome.closed).toBe(problems.length);
  expect(failedRuns).toBe(0);
  expect(haloRuns).toBe(problems.filter((p) => p.psa === 'halopsa').length);
  expect(kills).toBeGreaterThanOrEqual(10);
  expect(pgRestarts).toBe(1);
  expect(Object.values(faultsHit).every((n) => n > 0)).toBe(true);
});
