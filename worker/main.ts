/** `npm run worker`: runs the psa-sync worker until SIGINT/SIGTERM. */
import { NativeConnection } from '@temporalio/worker';
import { loadConfig } from '../config/env';
import { createLogger } from '../infra/logger';
import { keyRingFrom, openDatabase, psaOptionsFrom } from '../infra/runtime';
import { createWorker } from './create-worker';

async function run(): Promise<void> {
  const config = loadConfig();
  const log = createLogger('worker', config.LOG_LEVEL);
  const db = await openDatabase(config);
  const connection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
  const worker = await createWorker({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    deps: { db, keys: keyRingFrom(config), psa: psaOptionsFrom(config), log },
  });
  log.info('worker started', { taskQueue: config.TEMPORAL_TASK_QUEUE, temporal: config.TEMPORAL_ADDRESS });
  try {
    await worker.run(); // resolves after SIGINT/SIGTERM (the SDK installs the handlers)
  } finally {
    await connection.close();
    await db.destroy();
    log.info('worker stopped');
  }
}

run().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
