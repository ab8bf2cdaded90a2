/**
 * `npx tsx test/replay/record.ts [scenario…]`: runs the replay scenarios on a throwaway Temporal
 * dev server and database and writes their histories to test/replay/histories/. When a workflow
 * changes on purpose, the change is guarded with `patched()` and the new histories are recorded
 * beside those of the code before it (README: the rule under the table of test tiers).
 */
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { createDb, ensureDatabase } from '../../db/connect';
import { migrateToLatest } from '../../db/migrator';
import { startDevServer } from '../../infra/temporal-dev-server';
import { createLogger } from '../../infra/logger';
import { installSdkRuntime } from '../../infra/sdk-runtime';
import { createWorker } from '../../worker/create-worker';
import { createDataConverter } from '../../security/data-converter';
import { STRICT_URL_POLICY } from '../../psa/core/url-guard';
import { REPLAY_KEYS } from './keys';
import { saveHistory } from './histories';
import { scenarios } from './scenarios';

async function main(): Promise<void> {
  installSdkRuntime('warn');
  const wanted = process.argv.slice(2);
  const chosen = Object.entries(scenarios).filter(([name]) => wanted.length === 0 || wanted.includes(name));
  const server = await startDevServer();
  const dbUrl = `postgres://postgres@127.0.0.1:5432/psa_sync_record_${Date.now()}`;
  await ensureDatabase(dbUrl);
  const db = createDb(dbUrl, 5);
  await migrateToLatest(db);
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection, dataConverter: createDataConverter(REPLAY_KEYS) });
  const native = await NativeConnection.connect({ address: server.address });
  const taskQueue = `record-${randomUUID().slice(0, 8)}`;
  const log = createLogger('record', 'warn');
  const worker = await createWorker({
    connection: native,
    namespace: 'default',
    taskQueue,
    deps: { db, keys: REPLAY_KEYS, psa: { urlPolicy: STRICT_URL_POLICY }, log, temporal: client, publicBaseUrl: 'http://127.0.0.1:1', platformCallbackUrl: null },
  });
  try {
    await worker.runUntil(async () => {
      for (const [name, run] of chosen) {
        const handle = await run({ client, db, taskQueue });
        console.log(`recorded ${await saveHistory(handle, name)}`);
      }
    });
  } finally {
    await connection.close();
    await native.close();
    await db.destroy();
    await server.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
