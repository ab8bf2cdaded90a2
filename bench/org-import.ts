/**
 * `npm run bench:org-import [-- --orgs 2000 --companies 5000 --psa connectwise|autotask|halopsa] [--lift-budget]`:
 * an organization import against one PSA simulator (ConnectWise by default) holding `companies`
 * companies (each of the first `orgs` with the plan's billing object: an agreement with one
 * addition of the plan's catalog item, a contract with the plan's service, a software licence):
 * the preview for `orgs` unmapped organizations (three in four named like a PSA company in another
 * case and spacing, the fourth unknown), then the confirm of every proposed row (map) and every
 * unknown one (create: the company, then its billing object). Prints PSA requests (the
 * simulator's log) and seconds for each. The simulator's own request budget is lifted; the
 * adapter's rate governor (the deployment's default budget) still paces the calls, so a run that
 * needs more requests than one window allows waits for the window: it says so up front (HaloPSA's
 * default is 300 requests per 5 minutes, about one a second) and prints progress every 15 s with
 * the time left at the pace so far. `--lift-budget` lifts the governor too (the system's own pace).
 * Starts its own Temporal dev server unless TEMPORAL_ADDRESS is set, and a scratch database
 * unless DATABASE_URL is set.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { NativeConnection } from '@temporalio/worker';
import { loadConfig } from '../config/env';
import { createDb, ensureDatabase, type Db } from '../db/connect';
import { migrateToLatest } from '../db/migrator';
import { KeyRing } from '../security/crypto';
import { startDevServer, type DevServer } from '../infra/temporal-dev-server';
import { createTemporalClient } from '../client/temporal';
import { createOrgImportClient, type ImportConfirm } from '../client/org-import';
import { bundleWorkflows, createWorker } from '../worker/create-worker';
import { createLogger } from '../infra/logger';
import type { PsaRuntimeOptions } from '../activities/deps';
import type { MappingValues, PsaKind } from '../psa/core/types';
import type { SimServer } from '../sims/common/server';
import { startConnectWiseSim, createSeed, SEED_FIXTURES, SEED_CREDENTIALS as CW_SEED } from '../sims/connectwise';
import { startAutotaskSim, createSeed as createAtSeed, SEED_CREDENTIALS as AT_SEED, SEED_FIXTURES as AT_FIXTURES } from '../sims/autotask';
import { startHaloPsaSim, createSeed as createHaloSeed } from '../sims/halopsa';
import { currentPeriod } from '../sims/autotask/seed';
import { generatedCompanyNames } from '../sims/common/company-names';
import { connectIntegration } from '../test/helpers/integration-fixture';
import type { GovernorLimits } from '../psa/core/governor';
import { CONNECTWISE_DEFAULT_LIMITS } from '../psa/connectwise/index';
import { AUTOTASK_DEFAULT_LIMITS } from '../psa/autotask/index';
import { HALO_DEFAULT_LIMITS } from '../psa/halopsa/index';

const DEFAULT_LIMITS: Record<PsaKind, GovernorLimits> = { connectwise: CONNECTWISE_DEFAULT_LIMITS, autotask: AUTOTASK_DEFAULT_LIMITS, halopsa: HALO_DEFAULT_LIMITS };

/**
 * The least time `requests` take under a rolling budget of `maxRequests` per `windowMs`: a
 * window's worth goes at once, the next waits until the first of those leaves the window, so
 * request k goes no earlier than floor((k - 1) / maxRequests) windows in.
 */
function budgetBoundSeconds(requests: number, limits: Pick<GovernorLimits, 'maxRequests' | 'windowMs'>): number {
  return requests <= 0 ? 0 : Math.floor((requests - 1) / limits.maxRequests) * (limits.windowMs / 1000);
}

/** Prints, every 15 s while `phase` runs, the PSA requests so far and what `extra` says (rows done, time left). */
function ticker(phase: string, server: SimServer, from: number, extra: () => string = () => ''): () => void {
  const started = Date.now();
  const timer = setInterval(() => {
    const seconds = (Date.now() - started) / 1000;
    const requests = server.log.length - from;
    console.log(`  … ${phase}: ${seconds.toFixed(0)} s, ${requests} PSA requests (${(requests / Math.max(1, seconds)).toFixed(1)}/s)${extra()}`);
  }, 15_000);
  return () => clearInterval(timer);
}

const LIFTED = { maxRequests: 10_000_000, windowMs: 60_000 };

interface BenchSim {
  server: SimServer;
  psa: PsaRuntimeOptions;
  /** What `connectIntegration` reads of the simulators. */
  sims: Record<string, unknown>;
  planMapping: MappingValues | null;
  /** Confirm fields new companies need in this PSA. */
  createExtras: { createUnder?: string; phone?: string };
  close(): Promise<void>;
}

const urlPolicy = { allowHosts: ['127.0.0.1'], allowPrivateNetworks: true, allowHttp: true };

/** The simulator of `psa` with `companyCount` generated companies, the first `orgCount` names given the plan's billing object. */
async function startSim(psa: PsaKind, names: string[], companyCount: number, orgCount: number): Promise<BenchSim> {
  const billed = new Set(names.slice(0, orgCount));
  if (psa === 'autotask') {
    const sim = await startAutotaskSim({ seed: createAtSeed({ extraCompanies: companyCount }), rateLimit: { maxRequests: LIFTED.maxRequests, windowMs: LIFTED.windowMs } });
    const seed = sim.state.seed;
    const service = Number(AT_FIXTURES.planMapping.service);
    let nextId = 900_000;
    for (const c of seed.companies.filter((x) => billed.has(x.companyName))) {
      const contract = { id: (nextId += 1), companyID: c.id, contractName: `${c.companyName} - Managed Services`, contractType: 7, status: 1 };
      const cs = { id: (nextId += 1), contractID: contract.id, serviceID: service, invoiceDescription: 'Backup', unitPrice: 3.5 };
      seed.contracts.push(contract);
      seed.contractServices.push(cs);
      seed.units.push({ id: (nextId += 1), contractID: contract.id, contractServiceID: cs.id, serviceID: service, ...currentPeriod(), units: 5 });
    }
    return {
      server: sim.server,
      psa: { urlPolicy, autotaskZoneLookupUrl: sim.url, integrationIds: { autotask: AT_SEED.integrationCode } },
      sims: { autotask: sim },
      planMapping: { ...AT_FIXTURES.planMapping },
      createExtras: { phone: '+1 555 0100' },
      close: () => sim.close(),
    };
  }
  if (psa === 'halopsa') {
    const sim = await startHaloPsaSim({ seed: () => createHaloSeed({ extraCompanies: companyCount }), rateLimit: { ...LIFTED, sendRetryAfter: true } });
    const data = sim.state.data;
    const shape = data.licences[0];
    if (!shape) throw new Error('the HaloPSA seed has no licence to copy');
    for (const c of data.clients.filter((x) => billed.has(x.name))) data.licences.push({ ...shape, id: data.nextId.licence++, name: 'Cloud Backup', client_id: c.id, site_id: c.main_site_id, count: 5, is_active: true });
    return { server: sim.server, psa: { urlPolicy }, sims: { halopsa: sim }, planMapping: null, createExtras: { createUnder: '1' }, close: () => sim.close() };
  }
  const cw = await startConnectWiseSim({ seed: () => createSeed({ extraCompanies: companyCount }), rateLimit: LIFTED });
  // A live agreement with one addition of the plan's catalog item for each company an organization matches.
  const data = cw.state.data;
  const agreementShape = data.agreements.find((a) => !a.cancelledFlag);
  const additionShape = data.additions.find((x) => x.product.id === Number(SEED_FIXTURES.planMapping.catalogItem) && !x.cancelledDate);
  if (!agreementShape || !additionShape) throw new Error('the seed has no agreement to copy');
  let nextId = 900_000;
  for (const c of data.companies.filter((x) => billed.has(x.name))) {
    const agreementId = (nextId += 1);
    data.agreements.push({ ...agreementShape, id: agreementId, name: `${c.name} - Managed Services`, company: { id: c.id, identifier: c.identifier, name: c.name } });
    data.additions.push({ ...additionShape, id: (nextId += 1), agreementId });
  }
  return {
    server: cw.server,
    psa: { urlPolicy, ca: cw.ca, integrationIds: { connectwise: CW_SEED.clientId } },
    sims: { connectwise: cw },
    planMapping: { ...SEED_FIXTURES.planMapping },
    createExtras: {},
    close: () => cw.close(),
  };
}

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : NaN;
  return Number.isFinite(v) && v > 0 ? v : fallback;
}

function psaArg(): PsaKind {
  const i = process.argv.indexOf('--psa');
  const v = i >= 0 ? process.argv[i + 1] : 'connectwise';
  if (v !== 'connectwise' && v !== 'autotask' && v !== 'halopsa') throw new Error('--psa must be connectwise, autotask or halopsa');
  return v;
}

async function main(): Promise<void> {
  const orgCount = arg('orgs', 2000);
  const companyCount = arg('companies', 5000);
  if (orgCount > companyCount) throw new Error('--orgs must not exceed --companies');

  let dev: DevServer | null = null;
  const address = process.env.TEMPORAL_ADDRESS ?? (dev = await startDevServer()).address;
  const databaseUrl = process.env.DATABASE_URL ?? `postgres://postgres@127.0.0.1:5432/psa_sync_bench_${Date.now()}`;
  await ensureDatabase(databaseUrl);
  const db: Db = createDb(databaseUrl, 10);
  await migrateToLatest(db);
  const encryptionKeys = process.env.ENCRYPTION_KEYS ?? `bench:${randomBytes(32).toString('base64')}`;
  const config = loadConfig({ ...process.env, DATABASE_URL: databaseUrl, ENCRYPTION_KEYS: encryptionKeys, TEMPORAL_ADDRESS: address });
  const keys = new KeyRing(config.ENCRYPTION_KEYS as Record<string, Buffer>);
  const temporal = await createTemporalClient({ address, namespace: 'default', keys });

  const psaKind = psaArg();
  const names = generatedCompanyNames(companyCount);
  const bench = await startSim(psaKind, names, companyCount, orgCount);
  const server = bench.server;
  const lifted = process.argv.includes('--lift-budget');
  const limits = DEFAULT_LIMITS[psaKind];
  console.log(
    lifted
      ? `PSA budget: lifted (--lift-budget): the system's own pace`
      : `PSA budget: the adapter's governor allows ${limits.maxRequests} requests per ${limits.windowMs / 1000} s (the ${psaKind} default): each further ${limits.maxRequests} requests wait for the window, so a run of N requests takes at least floor((N - 1) / ${limits.maxRequests}) × ${limits.windowMs / 1000} s (--lift-budget lifts it)`,
  );

  const taskQueue = `bench-org-import-${randomUUID().slice(0, 8)}`;
  const psa: PsaRuntimeOptions = lifted ? { ...bench.psa, limits: { [psaKind]: { maxRequests: LIFTED.maxRequests, windowMs: LIFTED.windowMs } } } : bench.psa;
  const log = createLogger('bench-worker', 'error');
  const connection = await NativeConnection.connect({ address });
  const worker = await createWorker({
    connection,
    namespace: 'default',
    taskQueue,
    workflowBundle: await bundleWorkflows(),
    deps: { db, keys, psa, log, temporal, publicBaseUrl: 'http://127.0.0.1:1', platformCallbackUrl: null },
  });
  const running = worker.run();

  try {
    const partner = await db.insertInto('partners').values({ name: 'Bench import partner', kind: 'direct_reseller', parentId: null }).returning('id').executeTakeFirstOrThrow();
    const user = await db.insertInto('users').values({ partnerId: partner.id, email: 'owner@bench.test', role: 'owner' }).returning('id').executeTakeFirstOrThrow();
    const plan = await db.insertInto('plans').values({ partnerId: partner.id, name: 'Bench plan' }).returning('id').executeTakeFirstOrThrow();
    const orgNames = names.slice(0, orgCount).map((n, i) => (i % 4 === 3 ? `Unknown Customer ${i}` : i % 2 === 0 ? n.toUpperCase() : `  ${n.toLowerCase()} `));
    for (let i = 0; i < orgNames.length; i += 500) {
      await db
        .insertInto('organizations')
        .values(orgNames.slice(i, i + 500).map((name) => ({ partnerId: partner.id, planId: plan.id, name, seatCount: 5 })))
        .execute();
    }
    const { connectionId } = await connectIntegration(db, keys, bench.sims as never, { partnerId: partner.id, psa: psaKind, organizationIds: [] });
    if (bench.planMapping) await db.insertInto('planMappings').values({ planId: plan.id, connectionId, psa: psaKind, values: JSON.stringify(bench.planMapping) }).execute();

    const client = createOrgImportClient({ db, temporal, taskQueue, keys, psa });
    let before = server.log.length;
    let started = Date.now();
    let stop = ticker('preview', server, before);
    const preview = await client.preview(partner.id, psaKind).finally(stop);
    const previewSeconds = (Date.now() - started) / 1000;
    const previewCalls = server.log.length - before;
    const outcomes = preview.organizations.reduce<Record<string, number>>((acc, r) => ({ ...acc, [r.outcome]: (acc[r.outcome] ?? 0) + 1 }), {});
    const withBilling = preview.organizations.filter((r) => r.values).length;

    const rows: ImportConfirm['rows'] = [];
    for (const r of preview.organizations) {
      if (r.values) rows.push({ organizationId: r.organizationId, action: 'map', values: r.values });
      else if (r.outcome === 'none') rows.push({ organizationId: r.organizationId, action: 'create' });
    }
    before = server.log.length;
    started = Date.now();
    const batch = await client.confirm(partner.id, psaKind, { rows, ...bench.createExtras }, user.id);
    let progress = await client.progress(partner.id, psaKind, batch.batchId);
    const confirmStarted = started;
    const runStarted = confirmStarted - previewSeconds * 1000;
    stop = ticker('confirm', server, before, () => {
      const now = Date.now();
      const seconds = (now - confirmStarted) / 1000;
      const rowsLine = `, rows ${progress.done}/${progress.total}`;
      if (lifted) {
        const left = progress.done > 0 ? ((progress.total - progress.done) * seconds) / progress.done : null;
        return `${rowsLine}${left === null ? '' : `, about ${Math.ceil(left / 60)} min left at this pace`}`;
      }
      // Under the budget the pace so far says little: the run waits whole windows. Say so, and
      // the least time left for the requests the rows so far suggest.
      const inWindow = server.log.filter((e) => e.at > now - limits.windowMs);
      const waiting = inWindow.length >= limits.maxRequests ? `; the budget is spent (${inWindow.length} requests in the last ${limits.windowMs / 1000} s), waiting ~${Math.ceil(((inWindow[0]?.at ?? now) + limits.windowMs - now) / 1000)} s for the window` : '';
      const confirmRequests = server.log.length - before;
      const expected = progress.done > 0 ? previewCalls + Math.round((confirmRequests * progress.total) / progress.done) : null;
      const left = expected === null ? null : Math.max(0, budgetBoundSeconds(expected, limits) - (now - runStarted) / 1000);
      return `${rowsLine}${waiting}${expected === null || left === null ? '' : `; ~${expected} requests in all, at least ${Math.ceil(left / 60)} min left under the budget`}`;
    });
    try {
      while (!progress.finished) {
        await new Promise((r) => setTimeout(r, 1000));
        progress = await client.progress(partner.id, psaKind, batch.batchId);
      }
    } finally {
      stop();
    }
    const confirmSeconds = (Date.now() - started) / 1000;
    const confirmCalls = server.log.length - before;
    const methods = server.log.slice(before).reduce<Record<string, number>>((acc, e) => ({ ...acc, [e.method]: (acc[e.method] ?? 0) + 1 }), {});
    const codes = progress.rows.reduce<Record<string, number>>((acc, r) => (r.code ? { ...acc, [r.code]: (acc[r.code] ?? 0) + 1 } : acc), {});

    console.log(`organization import, ${psaKind} simulator: ${orgCount} organizations, ${preview.companiesScanned} active PSA companies`);
    console.log(`preview   ${previewSeconds.toFixed(1)} s   ${previewCalls} PSA requests   outcomes ${JSON.stringify(outcomes)}; billing proposed for ${withBilling}`);
    console.log(`confirm   ${confirmSeconds.toFixed(1)} s   ${confirmCalls} PSA requests ${JSON.stringify(methods)}   rows ${rows.length}: mapped ${progress.mapped}, created ${progress.created}, refused ${progress.refused} ${JSON.stringify(codes)}`);
    if (!lifted) {
      const bound = budgetBoundSeconds(previewCalls + confirmCalls, limits);
      console.log(`budget    ${previewCalls + confirmCalls} requests under ${limits.maxRequests} per ${limits.windowMs / 1000} s take at least ${bound.toFixed(0)} s; preview + confirm took ${(previewSeconds + confirmSeconds).toFixed(0)} s`);
    }
  } finally {
    worker.shutdown();
    await running;
    await connection.close();
    await bench.close();
    await temporal.connection.close();
    await db.destroy();
    if (!process.env.DATABASE_URL) {
      const admin = createDb(databaseUrl.replace(/\/[^/]+$/, '/postgres'), 1);
      await sql.raw(`drop database if exists "${new URL(databaseUrl).pathname.slice(1)}" with (force)`).execute(admin).catch(() => undefined);
      await admin.destroy();
    }
    await dev?.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
