/**
 * `npm run bench:reconcile [-- --vendor autotask|connectwise|halopsa] [--orgs N] [--drift 0.05]`:
 * one billing reconcile run (the activity the reconcile schedule runs, on a fresh PostgreSQL
 * database) over N organizations, each billed on its own line in the vendor's simulator, with a
 * share of them drifted. The simulators enforce the vendors' budgets (Autotask 10,000/hour,
 * ConnectWise 1,000/min, HaloPSA 300/5 min) and our governor keeps inside them. Prints the PSA
 * calls the simulator answered, 429s, the ratio to a naive pass (one read + one write per
 * organization) and the time. Defaults: every vendor at 10,000 organizations, except
 * ConnectWise at 2,000 (its additions are one list per agreement, and 10,000 of them take
 * longer than ten minutes inside 1,000 requests a minute).
 *
 * A reconcile run's calls are its billing pages and its repairs, nothing else: inactive companies
 * and contracts / customers are the health schedule's check (`adapter.inactiveParents`). After
 * the measured run the bench makes that check once too and prints its calls apart, as the cost of
 * one health period (not part of the reconcile figure).
 */
import { randomBytes } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { createDb, ensureDatabase } from '../db/connect';
import { migrateToLatest } from '../db/migrator';
import { KeyRing } from '../security/crypto';
import { createLogger } from '../infra/logger';
import { createReconcileActivities } from '../activities/reconcile';
import { adapterProviderFor } from '../infra/psa-adapters';
import type { ActivityDeps } from '../activities/deps';
import type { PsaKind } from '../psa/core/types';
import { startConnectWiseSim } from '../sims/connectwise';
import { startAutotaskSim } from '../sims/autotask';
import { startHaloPsaSim } from '../sims/halopsa';
import { connectIntegration, simFixtures } from '../test/helpers/integration-fixture';
import { billingControls } from '../test/helpers/billing-fixture';
import type { Sims } from '../test/helpers/stack';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const DEFAULT_ORGS: Record<PsaKind, number> = { autotask: 10_000, connectwise: 2_000, halopsa: 10_000 };
const TARGETS: Partial<Record<PsaKind, number>> = { autotask: 520 };

async function benchVendor(psa: PsaKind, orgs: number, drift: number) {
  const databaseUrl = `postgres://postgres@127.0.0.1:5432/psa_sync_bench_reconcile_${psa}_${Date.now()}`;
  await ensureDatabase(databaseUrl);
  const db = createDb(databaseUrl, 5);
  await migrateToLatest(db);
  const keys = new KeyRing({ bench: randomBytes(32) });
  const [connectwise, autotask, halopsa] = await Promise.all([startConnectWiseSim(), startAutotaskSim(), startHaloPsaSim()]);
  const sims: Sims = { connectwise, autotask, halopsa };
  const temporal = new Client({ connection: Connection.lazy({ address: '127.0.0.1:1' }) }); // not used by the reconcile step
  const deps: ActivityDeps = {
    db,
    keys,
    psa: { urlPolicy: { allowHosts: ['127.0.0.1', 'localhost'], allowPrivateNetworks: true, allowHttp: true }, ca: connectwise.ca, autotaskZoneLookupUrl: autotask.url, timeoutMs: 10_000 },
    log: createLogger('bench', 'warn'),
    temporal,
    publicBaseUrl: 'http://127.0.0.1:1',
    platformCallbackUrl: null,
  };
  try {
    const { id: partnerId } = await db.insertInto('partners').values({ name: 'Bench MSP', kind: 'direct_reseller', parentId: null }).returning('id').executeTakeFirstOrThrow();
    const { id: planId } = await db.insertInto('plans').values({ partnerId, name: 'Backup' }).returning('id').executeTakeFirstOrThrow();
    const billing = billingControls(psa, sims);
    const base = Array.from({ length: orgs }, (_, i) => 10 + (i % 40));
    const values = billing.create(base);
    // Every 1/drift-th organization drifted: mostly rises, some small drops (all within the hold rule).
    const every = Math.max(1, Math.round(1 / drift));
    const seats = base.map((q, i) => (i % every === 0 ? (i % (every * 3) === 0 ? q - 1 : q + 1 + (i % 3)) : q));
    const organizationIds: string[] = [];
    for (let i = 0; i < orgs; i += 1000) {
      const rows = await db
        .insertInto('organizations')
        .values(seats.slice(i, i + 1000).map((seatCount, j) => ({ partnerId, planId, name: `Customer ${i + j + 1}`, seatCount })))
        .returning('id')
        .execute();
      organizationIds.push(...rows.map((r) => r.id));
    }
    const fx = await connectIntegration(db, keys, sims, { partnerId, psa, organizationIds: [] });
    const planMapping = simFixtures(psa).planMapping;
    if (Object.keys(planMapping).length) await db.insertInto('planMappings').values({ planId, connectionId: fx.connectionId, psa, values: JSON.stringify(planMapping) }).execute();
    for (let i = 0; i < orgs; i += 1000) {
      await db
        .insertInto('organizationMappings')
        .values(organizationIds.slice(i, i + 1000).map((organizationId, j) => ({ organizationId, connectionId: fx.connectionId, psa, values: JSON.stringify(values[i + j]) })))
        .execute();
    }
    const drifted = seats.filter((s, i) => s !== base[i]).length;

    const sim = sims[psa].server;
    sim.log.length = 0;
    const started = Date.now();
    const summary = await createReconcileActivities(deps).reconcileConnection({ connectionId: fx.connectionId });
    const seconds = (Date.now() - started) / 1000;
    const calls = sim.log.length;
    // Autotask's zone lookup is anonymous and outside the database's request threshold; it is paid
    // once per worker and connection (the adapter is cached), not per run, so it is shown apart.
    const isSetup = (e: { path: string }) => /zoneInformation$/i.test(e.path);
    const setup = sim.log.filter(isSetup).length;
    const budgeted = calls - setup;
    const pages = sim.log.filter((e) => !isSetup(e) && (e.method === 'GET' || /\/query$/i.test(e.path))).length;
    const throttled = sim.log.filter((e) => e.status === 429).length;
    const wrong = values.filter((v, i) => billing.quantityOf(v) !== seats[i]).length;
    const naive = orgs * 2;
    const target = TARGETS[psa];

    // The health period's parent check over the same mappings, measured apart.
    const before = sim.log.length;
    const { adapter } = await adapterProviderFor(deps).forConnection(fx.connectionId);
    const parents = await adapter.inactiveParents(values);
    const healthCalls = sim.log.slice(before).filter((e) => !isSetup(e)).length;
    const healthThrottled = sim.log.slice(before).filter((e) => e.status === 429).length;

    console.log(
      `${psa.padEnd(11)} orgs=${orgs} drifted=${drifted} repaired=${summary.repaired} held=${summary.held} broken=${summary.broken} ` +
        `calls=${budgeted} (pages/reads ${pages}, writes ${budgeted - pages}; report ${summary.psaCalls}) zone-lookups=${setup} 429s=${throttled} naive=${naive} ` +
        `ratio=${(budgeted / naive).toFixed(4)} seconds=${seconds.toFixed(1)} still-wrong=${wrong}${target ? ` target<=${target} ${budgeted <= target ? 'met' : 'MISSED'}` : ''}`,
    );
    console.log(
      `${''.padEnd(11)} calls = billing pages + repairs only; inactive companies / contracts are the health schedule's check, ` +
        `not reconcile's: once per health period it costs ${healthCalls} call(s) here (report ${parents.calls}, 429s ${healthThrottled}, inactive found ${parents.inactive.filter((r) => r !== null).length})`,
    );
    return { calls, throttled: throttled + healthThrottled, wrong };
  } finally {
    await Promise.all([connectwise.close(), autotask.close(), halopsa.close()]);
    await db.destroy();
  }
}

async function main(): Promise<void> {
  const vendor = arg('vendor') as PsaKind | undefined;
  const vendors: PsaKind[] = vendor ? [vendor] : ['autotask', 'halopsa', 'connectwise'];
  const drift = Number(arg('drift') ?? 0.05);
  let failed = false;
  for (const psa of vendors) {
    const orgs = Number(arg('orgs') ?? DEFAULT_ORGS[psa]);
    const r = await benchVendor(psa, orgs, drift);
    if (r.throttled > 0 || r.wrong > 0) failed = true;
  }
  if (failed) process.exitCode = 1;
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
