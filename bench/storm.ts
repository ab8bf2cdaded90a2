/**
 * `npm run bench:storm [-- --orgs 1000 --mode both|dev|cluster --workers 3 --budget 300/300 --trace-memory]`
 *
 * An alert storm: every organization of one partner raises the same problem at once, and all
 * of them are mapped to one HaloPSA connection (the simulator with Halo's hosted budget, 300
 * requests per rolling 5 minutes, and its 429 + Retry-After). Prints, for the dev server (one
 * worker) and for cluster mode (Temporal Server on PostgreSQL, N worker processes):
 *  - the time until the last ticket exists, against the budget's physical minimum for the
 *    requests made (target ≤ 1.1×) and for one request per ticket;
 *  - 429s the PSA answered (target 0), workflow task timeouts in the runs' histories (target 0);
 *  - worker peak RSS with every run open (target ≤ 300 MB per worker).
 * `--budget 300/60` shortens a trial run (simulator and governor both get it); `--trace-memory`
 * prints each worker's RSS and main-thread heap every 5 s. Figures only.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { createDb, ensureDatabase, type Db } from '../db/connect';
import { migrateToLatest } from '../db/migrator';
import { KeyRing } from '../security/crypto';
import { PROJECT_ROOT, freePort, startDevServer } from '../infra/temporal-dev-server';
import { startNodeEntry, type Supervised } from '../infra/cluster/child-process';
import { TOPOLOGY, workerNodeArgs, workerProcessEnvironment } from '../infra/cluster/topology';
import { createTemporalClient } from '../client/temporal';
import { createAlertsClient } from '../client/alerts';
import { startHaloPsaSim, type HaloPsaSim } from '../sims/halopsa';
import { connectIntegration, addOrganizations } from '../test/helpers/integration-fixture';
import { startClusterStack } from '../test/cluster/cluster-stack';
import type { Sims } from '../test/helpers/stack';
import { ticketMarker, type Problem } from '../workflows/ticket-messages';
import { runPool, sleep } from './ticket-stats';

const PROBLEM: Problem = 'backup_failed';

function argOf(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

interface Budget {
  maxRequests: number;
  windowMs: number;
}

interface Figures {
  mode: string;
  workers: number;
  tickets: number;
  lastTicketMs: number | null;
  requests: number;
  requestsByKind: Record<string, number>;
  minForRequestsMs: number;
  minOnePerTicketMs: number;
  status429: number;
  taskTimeouts: number;
  /** Of those, the tasks that waited on a busy worker's sticky queue too long (schedule-to-start) rather than ran too long. */
  taskTimeoutsWaiting: number;
  /** The first few: seconds into the storm, and what the timed-out task was for. */
  timeoutsSeen: string[];
  taskFailures: number;
  duplicates: number;
  outcomes: Record<string, number>;
  peakRssMb: number[];
  /** Per worker, from its /metrics: runs in the SDK's sticky cache at the end, and the 429s it counted. */
  workerMetrics: WorkerMetrics[];
}

/** The earliest the n-th request can start under a rolling budget: every B requests cost a window. */
export function physicalMinimumMs(requests: number, budget: Budget): number {
  return requests <= 0 ? 0 : Math.floor((requests - 1) / budget.maxRequests) * budget.windowMs;
}

/** The sum of a metric's samples in a Prometheus exposition, or null when absent. */
function metricSum(text: string, name: string): number | null {
  const values = text
    .split('\n')
    .filter((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`))
    .map((l) => Number(l.slice(l.lastIndexOf(' ') + 1)));
  return values.length ? values.reduce((a, b) => a + b, 0) : null;
}

interface WorkerMetrics {
  stickyCache: number | null;
  rateLimited: number | null;
  /** The main thread's V8 heap (activities, the SDK's bridge); workflow threads' isolates are not in it. */
  heapMb: number | null;
}

async function scrapeWorker(url: string): Promise<WorkerMetrics> {
  try {
    const text = await (await fetch(url, { signal: AbortSignal.timeout(5_000) })).text();
    const heap = metricSum(text, 'nodejs_heap_size_total_bytes');
    return {
      stickyCache: metricSum(text, 'temporal_sticky_cache_size'),
      rateLimited: metricSum(text, 'psa_sync_psa_rate_limited_total') ?? 0,
      heapMb: heap === null ? null : Math.round(heap / 2 ** 20),
    };
  } catch {
    return { stickyCache: null, rateLimited: null, heapMb: null };
  }
}

function rssMb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    return Math.round(Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0) / 1024);
  } catch {
    return 0;
  }
}

interface Rig {
  mode: string;
  db: Db;
  client: Client;
  halo: HaloPsaSim;
  sims: Sims;
  keys: KeyRing;
  taskQueue: string;
  workerPids: () => number[];
  workerMetricsUrls: () => string[];
  close(): Promise<void>;
}

async function devRig(budget: Budget | null, encryptionKeys: string, keys: KeyRing): Promise<Rig> {
  const closers: (() => Promise<unknown>)[] = [];
  const dev = await startDevServer();
  closers.push(() => dev.stop());
  const databaseUrl = `postgres://postgres@127.0.0.1:5432/psa_sync_storm_${Date.now()}`;
  await ensureDatabase(databaseUrl);
  const db = createDb(databaseUrl, 5);
  await migrateToLatest(db);
  closers.push(async () => {
    await db.destroy();
    const admin = createDb(databaseUrl.replace(/\/[^/]+$/, '/postgres'), 1);
    await sql.raw(`drop database if exists "${new URL(databaseUrl).pathname.slice(1)}" with (force)`).execute(admin).catch(() => undefined);
    await admin.destroy();
  });
  const halo = await startHaloPsaSim(budget ? { rateLimit: budget } : {});
  closers.push(() => halo.close());
  const apiPort = await freePort();
  const [metricsPort, sdkMetricsPort] = [await freePort(), await freePort()];
  const taskQueue = `storm-${randomUUID().slice(0, 8)}`;
  const env = {
    ...process.env,
    NODE_ENV: 'test',
    LOG_LEVEL: 'warn',
    DATABASE_URL: databaseUrl,
    ENCRYPTION_KEYS: encryptionKeys,
    TEMPORAL_ADDRESS: dev.address,
    TEMPORAL_TASK_QUEUE: taskQueue,
    API_PORT: String(apiPort),
    PUBLIC_BASE_URL: `http://127.0.0.1:${apiPort}`,
    PSA_ALLOW_PRIVATE_NETWORKS: 'true',
    PSA_ALLOW_HTTP: 'true',
    PSA_ALLOW_HOSTS: '127.0.0.1',
    METRICS_PORT: String(metricsPort),
    SDK_METRICS_PORT: String(sdkMetricsPort),
    ...(budget ? { STORM_HALO_BUDGET: `${budget.maxRequests}/${budget.windowMs / 1000}` } : {}),
  };
  const procs: Supervised[] = [];
  closers.push(() => Promise.all(procs.map((p) => p.stop())));
  procs.push(await startNodeEntry({ name: 'api', entry: path.join(PROJECT_ROOT, 'api/main.ts'), cwd: PROJECT_ROOT, env: { ...env, LOG_LEVEL: 'info' }, ready: /api listening/ }));
  const worker = await startNodeEntry({ name: 'worker', entry: path.join(PROJECT_ROOT, 'bench/storm-worker.ts'), cwd: PROJECT_ROOT, env: { ...env, ...workerProcessEnvironment() }, nodeArgs: workerNodeArgs(), ready: /worker started/ });
  procs.push(worker);
  const client = await createTemporalClient({ address: dev.address, namespace: 'default', keys });
  closers.push(() => client.connection.close());
  return {
    mode: 'dev server (SQLite), 1 worker',
    db,
    client,
    halo,
    sims: { halopsa: halo } as Sims,
    keys,
    taskQueue,
    workerPids: () => [worker.pid],
    workerMetricsUrls: () => [`http://127.0.0.1:${metricsPort}/metrics`],
    close: async () => {
      for (const c of closers.reverse()) await c().catch(() => undefined);
    },
  };
}

async function clusterRig(budget: Budget | null, workers: number, encryptionKeys: string, keys: KeyRing): Promise<Rig> {
  const stack = await startClusterStack({
    label: 'storm',
    keys,
    encryptionKeys,
    workers,
    workerEntry: path.join(PROJECT_ROOT, 'bench/storm-worker.ts'),
    ...(budget ? { simRateLimit: budget, env: { STORM_HALO_BUDGET: `${budget.maxRequests}/${budget.windowMs / 1000}` } } : {}),
  });
  return {
    mode: `cluster (Temporal Server on PostgreSQL), ${workers} workers`,
    db: stack.db,
    client: stack.client,
    halo: stack.sims.halopsa,
    sims: stack.sims,
    keys,
    taskQueue: TOPOLOGY.taskQueue,
    workerPids: () => stack.cluster.workers.map((w) => w.process?.pid ?? 0).filter((p) => p > 0),
    workerMetricsUrls: () => stack.cluster.workers.map((w) => w.metricsUrl),
    close: () => stack.close(),
  };
}

async function storm(rig: Rig, orgCount: number, budget: Budget, timeoutMs: number): Promise<Figures> {
  const { db, client, halo } = rig;
  const partner = await db.insertInto('partners').values({ name: `Storm ${randomUUID().slice(0, 8)}`, kind: 'direct_reseller', parentId: null }).returning('id').executeTakeFirstOrThrow();
  const plan = await db.insertInto('plans').values({ partnerId: partner.id, name: 'Storm plan' }).returning('id').executeTakeFirstOrThrow();
  const orgs = await addOrganizations(db, partner.id, plan.id, orgCount, 'Storm customer');
  await connectIntegration(db, rig.keys, rig.sims, { partnerId: partner.id, psa: 'halopsa', organizationIds: orgs });
  const markers = new Set(orgs.map((o) => ticketMarker(o, PROBLEM, 1)));
  // The shipped policy but a 1 s debounce, so the budget is what is measured.
  const alerts = createAlertsClient({ db, temporal: client, taskQueue: rig.taskQueue, policy: { debounceMs: 1_000 } });

  const peaks = new Map<number, number>();
  const sample = () => {
    for (const pid of rig.workerPids()) peaks.set(pid, Math.max(peaks.get(pid) ?? 0, rssMb(pid, 'VmHWM'), rssMb(pid, 'VmRSS')));
  };
  const sampler = setInterval(sample, 1_000);
  // --trace-memory: every 5 s, each worker's RSS and main-thread heap (used / total) as its /metrics reports them.
  const tracer = process.argv.includes('--trace-memory')
    ? setInterval(() => {
        void Promise.all(rig.workerMetricsUrls().map((u) => fetch(u, { signal: AbortSignal.timeout(2_000) }).then((r) => r.text(), () => ''))).then((texts) => {
          const mb = (t: string, name: string) => Math.round((metricSum(t, name) ?? 0) / 2 ** 20);
          const line = texts.map((t) => `rss ${mb(t, 'process_resident_memory_bytes')} heap ${mb(t, 'nodejs_heap_size_used_bytes')}/${mb(t, 'nodejs_heap_size_total_bytes')} ext ${mb(t, 'nodejs_external_memory_bytes')}`);
          console.log(`  ${Math.round((Date.now() - t0) / 1000)} s memory: ${line.join(' | ')}`);
        });
      }, 5_000)
    : null;
  const logStart = halo.server.log.length;
  /** Problems with a ticket in the PSA (a second ticket for the same marker counts once, and as a duplicate). */
  const distinctTickets = () => new Set(halo.state.data.tickets.map((t) => t.third_party_id).filter((m): m is string => !!m && markers.has(m))).size;
  let lastTicketAt: number | null = null;
  const t0 = Date.now();
  try {
    await runPool(orgs, 50, (org) => alerts.reportAlert({ eventId: `storm-${randomUUID()}`, organizationId: org, problem: PROBLEM, event: 'raised', occurredAt: new Date().toISOString() }));
    console.log(`  ${orgs.length} alerts sent in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    let lastReport = Date.now();
    for (;;) {
      const n = distinctTickets();
      if (n >= orgs.length) {
        lastTicketAt = Date.now();
        break;
      }
      if (Date.now() - t0 > timeoutMs) {
        console.log(`  stopped waiting after ${Math.round(timeoutMs / 60_000)} min with ${n} tickets`);
        break;
      }
      if (Date.now() - lastReport > 60_000) {
        lastReport = Date.now();
        const log = halo.server.log.slice(logStart);
        console.log(`  ${Math.round((Date.now() - t0) / 1000)} s: ${n} tickets, ${log.length} requests, ${log.filter((l) => l.status === 429).length} 429s`);
      }
      await sleep(250);
    }
    sample();
  } finally {
    clearInterval(sampler);
    if (tracer) clearInterval(tracer);
  }
  const workerMetrics = await Promise.all(rig.workerMetricsUrls().map(scrapeWorker));
  const log = halo.server.log.slice(logStart);
  const upToLast = lastTicketAt === null ? log : log.filter((l) => l.at <= (lastTicketAt as number));
  // Only requests the PSA accepted use its budget; a 429 is refused before it counts.
  const accepted = upToLast.filter((l) => l.status !== 429);
  const requestsByKind: Record<string, number> = {};
  for (const l of accepted) {
    const kind = `${l.method} ${l.path.replace(/\/\d+/g, '/:id').replace(/^\/api/i, '').toLowerCase()}`;
    requestsByKind[kind] = (requestsByKind[kind] ?? 0) + 1;
  }
  // Outcomes, duplicates and workflow task timeouts once the storm is over.
  await sleep(2_000);
  const outcomeRows = await db
    .selectFrom('alerts')
    .select(['outcome'])
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('organizationId', 'in', orgs)
    .groupBy('outcome')
    .execute();
  const duplicates = [...markers].filter((m) => halo.state.ticketsWithMarker(m).length > 1).length;
  let taskTimeouts = 0;
  let taskTimeoutsWaiting = 0;
  const timeoutsSeen: string[] = [];
  let taskFailures = 0;
  await runPool(orgs, 8, async (org) => {
    const history = await client.workflow.getHandle(`ticket/${org}/${PROBLEM}`).fetchHistory();
    const events = history.events ?? [];
    for (const [i, e] of events.entries()) {
      if (e.workflowTaskTimedOutEventAttributes) {
        taskTimeouts += 1;
        // When, and what the task was for (the event before its WorkflowTaskScheduled).
        const at = Math.round((Number(e.eventTime?.seconds ?? 0) * 1000 - t0) / 1000);
        const cause = events.slice(0, i).reverse().find((p) => !p.workflowTaskScheduledEventAttributes && !p.workflowTaskTimedOutEventAttributes && !p.workflowTaskStartedEventAttributes);
        timeoutsSeen.push(`${at} s after ${cause ? temporal.api.enums.v1.EventType[cause.eventType ?? 0] : '?'}`);
        if (e.workflowTaskTimedOutEventAttributes.timeoutType === temporal.api.enums.v1.TimeoutType.TIMEOUT_TYPE_SCHEDULE_TO_START) taskTimeoutsWaiting += 1;
      }
      if (e.workflowTaskFailedEventAttributes) taskFailures += 1;
    }
  });
  return {
    mode: rig.mode,
    workers: rig.workerPids().length,
    tickets: distinctTickets(),
    lastTicketMs: lastTicketAt === null ? null : lastTicketAt - t0,
    requests: accepted.length,
    requestsByKind,
    minForRequestsMs: physicalMinimumMs(accepted.length, budget),
    minOnePerTicketMs: physicalMinimumMs(orgs.length, budget),
    status429: log.filter((l) => l.status === 429).length,
    taskTimeouts,
    taskTimeoutsWaiting,
    timeoutsSeen: timeoutsSeen.slice(0, 20),
    taskFailures,
    duplicates,
    outcomes: Object.fromEntries(outcomeRows.map((r) => [String(r.outcome), Number(r.n)])),
    peakRssMb: [...peaks.values()],
    workerMetrics,
  };
}

function print(f: Figures, budget: Budget): void {
  const s = (ms: number | null) => (ms === null ? 'n/a' : `${(ms / 1000).toFixed(0)} s`);
  const ratio = (ms: number | null, min: number) => (ms === null || min === 0 ? 'n/a' : `${(ms / min).toFixed(2)}×`);
  console.log('');
  console.log(`${f.mode}`);
  console.log(`  problems with a PSA ticket   ${f.tickets}; problems with more than one ticket ${f.duplicates} (target 0); alert outcomes ${JSON.stringify(f.outcomes)}`);
  console.log(`  last ticket exists after     ${s(f.lastTicketMs)}   (budget ${budget.maxRequests} requests / ${budget.windowMs / 1000} s)`);
  console.log(`    vs minimum for the ${f.requests} accepted requests  ${s(f.minForRequestsMs)}   ratio ${ratio(f.lastTicketMs, f.minForRequestsMs)}   (target ≤ 1.1×)`);
  console.log(`    vs one request per ticket   ${s(f.minOnePerTicketMs)}   ratio ${ratio(f.lastTicketMs, f.minOnePerTicketMs)}`);
  console.log(`  accepted requests until then, by kind   ${JSON.stringify(f.requestsByKind)}`);
  console.log(`  429s from the PSA            ${f.status429}   (target 0)`);
  console.log(`  workflow task timeouts       ${f.taskTimeouts}   (target 0; ${f.taskTimeoutsWaiting} waited too long on the sticky queue, ${f.taskTimeouts - f.taskTimeoutsWaiting} ran too long; task failures ${f.taskFailures})`);
  if (f.timeoutsSeen.length) console.log(`    ${f.timeoutsSeen.join('; ')}`);
  console.log(`  worker peak RSS              ${f.peakRssMb.map((m) => `${m} MB`).join(', ')}   (target ≤ 300 MB per worker, every run open)`);
  const n = (v: number | null) => (v === null ? 'n/a' : String(v));
  console.log(
    `  runs in each worker's cache  ${f.workerMetrics.map((w) => n(w.stickyCache)).join(', ')}   main-thread heap ${f.workerMetrics.map((w) => `${n(w.heapMb)} MB`).join(', ')}   429s each counted ${f.workerMetrics.map((w) => n(w.rateLimited)).join(', ')}   (from the workers' /metrics)`,
  );
}

async function main(): Promise<void> {
  const orgCount = Number(argOf('orgs') ?? 1_000);
  const mode = argOf('mode') ?? 'both';
  const workers = Number(argOf('workers') ?? TOPOLOGY.workers);
  const budgetArg = /^(\d+)\/(\d+)$/.exec(argOf('budget') ?? '');
  const budget: Budget | null = budgetArg ? { maxRequests: Number(budgetArg[1]), windowMs: Number(budgetArg[2]) * 1000 } : null;
  const effective: Budget = budget ?? { maxRequests: 300, windowMs: 300_000 };
  const timeoutMs = Number(argOf('timeout-min') ?? 90) * 60_000;
  const encryptionKeys = `storm:${randomBytes(32).toString('base64')}`;
  const keys = new KeyRing({ storm: Buffer.from(encryptionKeys.split(':')[1] as string, 'base64') });
  console.log(`psa-sync alert storm: ${orgCount} organizations raise "${PROBLEM}" at once, one HaloPSA connection, budget ${effective.maxRequests} requests / ${effective.windowMs / 1000} s, ${os.cpus().length} CPUs`);

  const results: Figures[] = [];
  for (const m of mode === 'both' ? ['dev', 'cluster'] : [mode]) {
    console.log(`\n${m}: starting`);
    const rig = m === 'dev' ? await devRig(budget, encryptionKeys, keys) : await clusterRig(budget, workers, encryptionKeys, keys);
    // Ctrl-C tears down what this mode started (scratch database, servers) before leaving.
    const interrupted = () => void rig.close().finally(() => process.exit(130));
    process.once('SIGINT', interrupted);
    process.once('SIGTERM', interrupted);
    try {
      const f = await storm(rig, orgCount, effective, timeoutMs);
      results.push(f);
      print(f, effective);
    } finally {
      process.off('SIGINT', interrupted);
      process.off('SIGTERM', interrupted);
      await rig.close();
    }
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
