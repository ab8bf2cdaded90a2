/**
 * `npm run bench:org-import [-- --orgs 2000 --companies 5000]`: an organization import against
 * the ConnectWise simulator holding `companies` companies (each of the first `orgs` with an active
 * agreement and one addition of the plan's catalog item): the preview for `orgs` unmapped
 * organizations (three in four named like a PSA company in another case and spacing, the fourth
 * unknown), then the confirm of every proposed row (map) and every unknown one (create). Prints
 * PSA requests (the simulator's log) and seconds for each. The simulator's own request budget is
 * lifted; the adapter's rate governor (the deployment's default budget) still paces the calls.
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
import { startConnectWiseSim, createSeed, SEED_FIXTURES } from '../sims/connectwise';
import { generatedCompanyNames } from '../sims/common/company-names';
import { connectIntegration } from '../test/helpers/integration-fixture';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : NaN;
  return Number.isFinite(v) && v > 0 ? v : fallback;
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

  const names = generatedCompanyNames(companyCount);
  const cw = await startConnectWiseSim({ seed: () => createSeed({ extraCompanies: companyCount }), rateLimit: { maxRequests: 10_000_000, windowMs: 60_000 } });
  // A live agreement with one addition of the plan's catalog item for each company an organization matches.
  const data = cw.state.data;
  const agreementShape = data.agreements.find((a) => !a.cancelledFlag);
  const additionShape = data.additions.find((x) => x.product.id === Number(SEED_FIXTURES.planMapping.catalogItem) && !x.cancelledDate);
  if (!agreementShape || !additionShape) throw new Error('the seed has no agreement to copy');
  const byName = new Map(data.companies.map((c) => [c.name, c]));
  let nextId = 900_000;
  for (const name of names.slice(0, orgCount)) {
    const c = byName.get(name);
    if (!c) continue;
    const agreementId = (nextId += 1);
    data.agreements.push({ ...agreementShape, id: agreementId, name: `${c.name} - Managed Services`, company: { id: c.id, identifier: c.identifier, name: c.name } });
    data.additions.push({ ...additionShape, id: (nextId += 1), agreementId });
  }

  const taskQueue = `bench-org-import-${randomUUID().slice(0, 8)}`;
  const psa = { urlPolicy: { allowHosts: ['127.0.0.1'], allowPrivateNetworks: true, allowHttp: true }, ca: cw.ca };
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
    const { connectionId } = await connectIntegration(db, keys, { connectwise: cw } as never, { partnerId: partner.id, psa: 'connectwise', organizationIds: [] });
    await db.insertInto('planMappings').values({ planId: plan.id, connectionId, psa: 'connectwise', values: JSON.stringify(SEED_FIXTURES.planMapping) }).execute();

    const client = createOrgImportClient({ db, temporal, taskQueue, keys, psa });
    let before = cw.server.log.length;
    let started = Date.now();
    const preview = await client.preview(partner.id, 'connectwise');
    const previewSeconds = (Date.now() - started) / 1000;
    const previewCalls = cw.server.log.length - before;
    const outcomes = preview.organizations.reduce<Record<string, number>>((acc, r) => ({ ...acc, [r.outcome]: (acc[r.outcome] ?? 0) + 1 }), {});
    const withBilling = preview.organizations.filter((r) => r.values).length;

    const rows: ImportConfirm['rows'] = [];
    for (const r of preview.organizations) {
      if (r.values) rows.push({ organizationId: r.organizationId, action: 'map', values: r.values });
      else if (r.outcome === 'none') rows.push({ organizationId: r.organizationId, action: 'create' });
    }
    before = cw.server.log.length;
    started = Date.now();
    const batch = await client.confirm(partner.id, 'connectwise', { rows }, user.id);
    let progress = await client.progress(partner.id, 'connectwise', batch.batchId);
    while (!progress.finished) {
      await new Promise((r) => setTimeout(r, 1000));
      progress = await client.progress(partner.id, 'connectwise', batch.batchId);
    }
    const confirmSeconds = (Date.now() - started) / 1000;
    const confirmCalls = cw.server.log.length - before;
    const methods = cw.server.log.slice(before).reduce<Record<string, number>>((acc, e) => ({ ...acc, [e.method]: (acc[e.method] ?? 0) + 1 }), {});
    const codes = progress.rows.reduce<Record<string, number>>((acc, r) => (r.code ? { ...acc, [r.code]: (acc[r.code] ?? 0) + 1 } : acc), {});

    console.log(`organization import, ConnectWise simulator: ${orgCount} organizations, ${preview.companiesScanned} active PSA companies`);
    console.log(`preview   ${previewSeconds.toFixed(1)} s   ${previewCalls} PSA requests   outcomes ${JSON.stringify(outcomes)}; billing proposed for ${withBilling}`);
    console.log(`confirm   ${confirmSeconds.toFixed(1)} s   ${confirmCalls} PSA requests ${JSON.stringify(methods)}   rows ${rows.length}: mapped ${progress.mapped}, created ${progress.created}, refused ${progress.refused} ${JSON.stringify(codes)}`);
  } finally {
    worker.shutdown();
    await running;
    await connection.close();
    await cw.close();
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
