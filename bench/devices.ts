/**
 * `npm run bench:devices [-- --devices 10000 --vendors autotask,connectwise,halopsa --changed 0.01]`
 *
 * Per vendor, through the real client, Temporal, an in-process worker, PostgreSQL and the
 * simulator (at its default request budget: HaloPSA 300 per 5 minutes, Autotask 10,000 per
 * hour): an initial device sync of N devices into one company, then an incremental pass with a
 * share of them changed. Prints PSA requests (from the simulator's log: list pages, writes,
 * other reads), seconds, 429s, duplicates, and the targets with the ratio to them:
 *   initial     ≤ 1.05 × (write requests needed + list pages)
 *   incremental ≤ 2 × changed devices + list pages
 * Writes needed = ⌈devices / batch⌉ + the types created (ConnectWise and HaloPSA batch 100; Autotask has no
 * batch form); list pages include reading the types. "other" is per connection, not per device
 * (token, site, type details).
 * The default run is Autotask with 10,000 devices, the case the hourly budget decides: it takes
 * about an hour, and prints a progress line (devices written, requests, elapsed) every 30 s.
 * `--autotask-devices` caps Autotask alone (e.g. a quick run of all three vendors). Starts its own
 * Temporal dev server unless TEMPORAL_ADDRESS is set, and a scratch database unless DATABASE_URL is
 * set. Figures only.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { loadConfig } from '../config/env';
import { createDb, ensureDatabase, type Db } from '../db/connect';
import { migrateToLatest } from '../db/migrator';
import { KeyRing } from '../security/crypto';
import { createDataConverter } from '../security/data-converter';
import { startDevServer, type DevServer } from '../infra/temporal-dev-server';
import { bundleWorkflows, createWorker } from '../worker/create-worker';
import { createLogger } from '../infra/logger';
import { startConnectWiseSim } from '../sims/connectwise';
import { startAutotaskSim } from '../sims/autotask';
import { startHaloPsaSim } from '../sims/halopsa';
import { connectIntegration, type IntegrationFixture } from '../test/helpers/integration-fixture';
import { createDevicesClient } from '../client/devices';
import { deviceSyncWorkflowId } from '../workflows/device-messages';
import type { DeviceReport } from '../domain/devices';
import type { PsaKind } from '../psa/core/types';
import type { LogEntry } from '../sims/common/server';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? (process.argv[i + 1] as string) : fallback;
}

const BATCH: Record<PsaKind, number> = { connectwise: 100, autotask: 1, halopsa: 100 };
/** A request that reads a page of configurations (the list pages of the targets). */
const LIST: Record<PsaKind, (e: LogEntry) => boolean> = {
  connectwise: (e) => e.method === 'GET' && /company\/configurations$/i.test(e.path),
  autotask: (e) => e.method === 'POST' && /ConfigurationItems\/query$/i.test(e.path),
  halopsa: (e) => e.method === 'GET' && /\/Asset$/i.test(e.path),
};
const WRITE: Record<PsaKind, (e: LogEntry) => boolean> = {
  connectwise: (e) => e.method !== 'GET' && /company\/configurations(\/bulk|\/\d+)?$/i.test(e.path),
  autotask: (e) => (e.method === 'POST' || e.method === 'PATCH' || e.method === 'PUT') && /ConfigurationItems$/i.test(e.path),
  halopsa: (e) => e.method === 'POST' && /\/Asset$/i.test(e.path),
};

/** Creating a missing type is a write the sync needs; reading the types is a list page. */
const TYPE_WRITE: Record<PsaKind, (e: LogEntry) => boolean> = {
  connectwise: (e) => e.method === 'POST' && /configurations\/types$/i.test(e.path),
  autotask: (e) => e.method === 'POST' && /\/Products$/i.test(e.path),
  halopsa: (e) => e.method === 'POST' && /\/AssetType$/i.test(e.path),
};
const TYPE_LIST: Record<PsaKind, (e: LogEntry) => boolean> = {
  connectwise: (e) => e.method === 'GET' && /configurations\/types$/i.test(e.path),
  autotask: (e) => /\/Products\/query$/i.test(e.path),
  halopsa: (e) => e.method === 'GET' && /\/AssetType$/i.test(e.path),
};

interface Figures {
  requests: number;
  listPages: number;
  writes: number;
  typeWrites: number;
  other: number;
  throttled: number;
  seconds: number;
}

function figures(log: LogEntry[], from: number, startedAt: number, psa: PsaKind): Figures {
  const slice = log.slice(from);
  const listPages = slice.filter((e) => LIST[psa](e) || TYPE_LIST[psa](e)).length;
  const writes = slice.filter((e) => WRITE[psa](e) || TYPE_WRITE[psa](e)).length;
  const typeWrites = slice.filter(TYPE_WRITE[psa]).length;
  return {
    requests: slice.length,
    listPages,
    writes,
    typeWrites,
    other: slice.length - listPages - writes,
    throttled: slice.filter((e) => e.status === 429).length,
    seconds: (Date.now() - startedAt) / 1000,
  };
}

/** Configurations per device id as the simulator holds them: anything above 1 is a duplicate. */
function duplicatesIn(sims: { connectwise: Awaited<ReturnType<typeof startConnectWiseSim>>; autotask: Awaited<ReturnType<typeof startAutotaskSim>>; halopsa: Awaited<ReturnType<typeof startHaloPsaSim>> }, kind: PsaKind): number {
  const ids =
    kind === 'connectwise'
      ? sims.connectwise.state.data.configurations.map((c) => c.deviceIdentifier)
      : kind === 'halopsa'
        ? sims.halopsa.state.data.assets.map((a) => a.inventory_number)
        : sims.autotask.state.seed.configurationItems.map((c) => c.userDefinedFields.find((u) => u.name === 'Platform Device ID')?.value ?? null);
  const seen = new Set<string>();
  let dup = 0;
  for (const id of ids) {
    if (!id || !id.startsWith('bench-')) continue;
    if (seen.has(id)) dup += 1;
    seen.add(id);
  }
  return dup;
}

/** Configurations the simulator holds for bench devices (duplicates included). */
function writtenIn(sims: Parameters<typeof duplicatesIn>[0], kind: PsaKind): number {
  const ids =
    kind === 'connectwise'
      ? sims.connectwise.state.data.configurations.map((c) => c.deviceIdentifier)
      : kind === 'halopsa'
        ? sims.halopsa.state.data.assets.map((a) => a.inventory_number)
        : sims.autotask.state.seed.configurationItems.map((c) => c.userDefinedFields.find((u) => u.name === 'Platform Device ID')?.value ?? null);
  return ids.filter((id) => id?.startsWith('bench-')).length;
}

/** A line every `everyMs` while a phase runs: long Autotask runs show they are moving. */
function progress(label: string, everyMs: number, startedAt: number, line: () => string): () => void {
  const timer = setInterval(() => console.log(`  … ${label}: ${line()}, ${((Date.now() - startedAt) / 1000).toFixed(0)} s elapsed`), everyMs);
  return () => clearInterval(timer);
}

function devicesOf(n: number, at: string): DeviceReport[] {
  return Array.from({ length: n }, (_, i) => ({
    deviceId: `bench-${i}`,
    nodeClass: i % 10 === 0 ? 'WINDOWS_SERVER' : 'WINDOWS_WORKSTATION',
    systemName: `BENCH-${i}`,
    serialNumber: `BSN-${i}`,
    manufacturer: 'Dell',
    model: 'Latitude',
    os: 'Windows 11',
    updatedAt: at,
  }));
}

async function main(): Promise<void> {
  const devicesFlag = Number(arg('devices', '10000'));
  const autotaskDevices = Number(arg('autotask-devices', String(devicesFlag)));
  const changedShare = Number(arg('changed', '0.01'));
  const vendors = arg('vendors', 'autotask').split(',') as PsaKind[];
  const progressEveryMs = Number(arg('progress-seconds', '30')) * 1000;

  let dev: DevServer | null = null;
  const address = process.env.TEMPORAL_ADDRESS ?? (dev = await startDevServer()).address;
  const databaseUrl = process.env.DATABASE_URL ?? `postgres://postgres@127.0.0.1:5432/psa_sync_bench_devices_${Date.now()}`;
  await ensureDatabase(databaseUrl);
  const db: Db = createDb(databaseUrl, 10);
  await migrateToLatest(db);
  const encryptionKeys = process.env.ENCRYPTION_KEYS ?? `bench:${randomBytes(32).toString('base64')}`;
  const config = loadConfig({ ...process.env, DATABASE_URL: databaseUrl, ENCRYPTION_KEYS: encryptionKeys, TEMPORAL_ADDRESS: address });
  const keys = new KeyRing(config.ENCRYPTION_KEYS as Record<string, Buffer>);
  const connection = await Connection.connect({ address });
  const temporal = new Client({ connection, namespace: 'default', dataConverter: createDataConverter(keys) });
  const nativeConnection = await NativeConnection.connect({ address });

  // The simulators at their default budgets: zero 429 is part of what is measured.
  const sims = { connectwise: await startConnectWiseSim(), autotask: await startAutotaskSim(), halopsa: await startHaloPsaSim() };
  const psa = { urlPolicy: { allowHosts: ['127.0.0.1'], allowPrivateNetworks: true, allowHttp: true }, ca: sims.connectwise.ca, autotaskZoneLookupUrl: sims.autotask.url };
  const taskQueue = `bench-devices-${randomUUID().slice(0, 8)}`;
  const log = createLogger('bench-worker', 'error');
  const worker = await createWorker({
    connection: nativeConnection,
    namespace: 'default',
    taskQueue,
    deps: { db, keys, psa, log, temporal, publicBaseUrl: 'http://127.0.0.1:9', platformCallbackUrl: null },
    workflowBundle: await bundleWorkflows(),
  });
  const running = worker.run();
  const client = createDevicesClient({ db, temporal, taskQueue, timing: { debounceMs: 100, idleMs: 100 } });

  const rows: string[] = [];
  try {
    for (const kind of vendors) {
      const n = kind === 'autotask' ? Math.min(devicesFlag, autotaskDevices) : devicesFlag;
      const tag = randomUUID().slice(0, 8);
      const partner = await db.insertInto('partners').values({ name: `Bench ${kind} ${tag}`, kind: 'direct_reseller', parentId: null }).returning('id').executeTakeFirstOrThrow();
      const plan = await db.insertInto('plans').values({ partnerId: partner.id, name: `Bench plan ${tag}` }).returning('id').executeTakeFirstOrThrow();
      const org = await db.insertInto('organizations').values({ partnerId: partner.id, planId: plan.id, name: `Bench org ${tag}` }).returning('id').executeTakeFirstOrThrow();
      const fx: IntegrationFixture = await connectIntegration(db, keys, sims, { partnerId: partner.id, psa: kind, organizationIds: [org.id] });
      await client.setSettings(fx.connectionId, { matchField: 'serialNumber', scheduleMinutes: 24 * 60 }, null);
      const sim = sims[kind].server;

      console.log(`${kind}: initial sync of ${n} devices, then ${Math.round(n * changedShare)} changed`);
      // Initial sync: the snapshot in parts of 500.
      const devices = devicesOf(n, '2026-12-01T00:00:00.000Z');
      let from = sim.log.length;
      let t0 = Date.now();
      const snapshotId = randomUUID();
      const parts = Math.ceil(n / 500);
      const takenAt = new Date().toISOString();
      const writtenBefore = writtenIn(sims, kind);
      const requestsSince = (start: number) => {
        const slice = sim.log.slice(start);
        return `${slice.length} requests, ${slice.filter((e) => e.status === 429).length} × 429`;
      };
      let stop = progress(`${kind} initial`, progressEveryMs, t0, () => `${writtenIn(sims, kind) - writtenBefore} of ${n} devices written, ${requestsSince(from)}`);
      try {
        for (let p = 0; p < parts; p += 1) {
          await client.reportSnapshotPart(org.id, snapshotId, { takenAt, part: p, parts, devices: devices.slice(p * 500, p * 500 + 500) });
        }
        await temporal.workflow.getHandle(deviceSyncWorkflowId(org.id)).result();
      } finally {
        stop();
      }
      const initial = figures(sim.log, from, t0, kind);
      if (process.env.BENCH_DEBUG) {
        const byPath = new Map<string, number>();
        for (const e of sim.log.slice(from)) byPath.set(`${e.method} ${e.path} ${e.status}`, (byPath.get(`${e.method} ${e.path} ${e.status}`) ?? 0) + 1);
        console.log([...byPath].map(([k, v]) => `  ${v} × ${k}`).join('\n'));
      }
      const duplicates = duplicatesIn(sims, kind);
      const initialNeeded = Math.ceil(n / BATCH[kind]) + initial.typeWrites;

      // Incremental: a share changed (renamed), reported as changes.
      const changed = devices.filter((_, i) => i % Math.round(1 / changedShare) === 0);
      from = sim.log.length;
      t0 = Date.now();
      const incrementalFrom = from;
      stop = progress(`${kind} incremental`, progressEveryMs, t0, () => requestsSince(incrementalFrom));
      try {
        for (let i = 0; i < changed.length; i += 500) {
          await client.reportChanges(org.id, {
            changes: changed.slice(i, i + 500).map((d) => ({ op: 'upsert' as const, device: { ...d, systemName: `${d.systemName}-R`, updatedAt: '2026-12-02T00:00:00.000Z' } })),
          });
        }
        await temporal.workflow.getHandle(deviceSyncWorkflowId(org.id)).result();
      } finally {
        stop();
      }
      const incremental = figures(sim.log, from, t0, kind);
      const duplicatesAfter = duplicatesIn(sims, kind);

      const initialTarget = 1.05 * (initialNeeded + initial.listPages);
      const incrementalTarget = 2 * changed.length + incremental.listPages;
      const ok = (v: number, t: number) => `ratio ${(v / t).toFixed(3)} → ${v <= t ? 'ok' : 'OVER'}`;
      rows.push(
        `${kind.padEnd(11)} initial ${n} devices: ${initial.requests} requests (${initial.listPages} list pages incl. types, ${initial.writes} writes incl. ${initial.typeWrites} new types, ${initial.other} other; ${initialNeeded} writes needed), ` +
          `${initial.seconds.toFixed(1)} s, ${initial.throttled} × 429, ${duplicates} duplicates; target ≤ ${initialTarget.toFixed(1)}, ${ok(initial.requests, initialTarget)}`,
      );
      rows.push(
        `${kind.padEnd(11)} incremental ${changed.length} changed: ${incremental.requests} requests (${incremental.listPages} list pages, ${incremental.writes} writes, ${incremental.other} other), ` +
          `${incremental.seconds.toFixed(1)} s, ${incremental.throttled} × 429, ${duplicatesAfter} duplicates; target ≤ ${incrementalTarget}, ${ok(incremental.requests, incrementalTarget)}`,
      );
      console.log(rows.slice(-2).join('\n'));
    }
  } finally {
    worker.shutdown();
    await running;
    await Promise.all([sims.connectwise.close(), sims.autotask.close(), sims.halopsa.close()]);
    await db.destroy();
    await connection.close();
    await nativeConnection.close();
    await dev?.stop();
  }
  console.log(`\nbench:devices\n${rows.join('\n')}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
