/**
 * `npm run api`: serves the HTTP API until SIGINT/SIGTERM. Under the `npm start` launcher it
 * reports readiness over IPC and leaves when the launcher goes (its IPC channel closes).
 */
import { loadConfig } from '../config/env';
import { createLogger } from '../infra/logger';
import { keyRingFrom, openDatabase, psaOptionsFrom } from '../infra/runtime';
import { createTemporalClient } from '../client/temporal';
import { buildRoutes } from './app';
import { ApiServer } from './server';
import { shareBudgetsThrough } from '../psa/core/factory';
import { postgresPsaBudget } from '../infra/psa-budget';

export async function startApi() {
  const config = loadConfig();
  const log = createLogger('api', config.LOG_LEVEL);
  const db = await openDatabase(config);
  // Its PSA calls (connect checks, re-tests) spend the same budget as the workers'.
  if (config.PSA_SHARED_BUDGET) shareBudgetsThrough(postgresPsaBudget(db, log));
  const keys = keyRingFrom(config);
  const temporal = await createTemporalClient({ address: config.TEMPORAL_ADDRESS, namespace: config.TEMPORAL_NAMESPACE, keys });
  const deps = { db, temporal, taskQueue: config.TEMPORAL_TASK_QUEUE, keys, config, psa: psaOptionsFrom(config), log };
  const uiOrigins = [`http://127.0.0.1:${config.TEMPORAL_UI_PORT}`, `http://localhost:${config.TEMPORAL_UI_PORT}`];
  const server = new ApiServer({ db, routes: buildRoutes(deps), platformTokens: config.API_TOKENS, log, corsOrigins: uiOrigins });
  const url = await server.listen(config.API_PORT, config.API_HOST);
  log.info('api listening', { url });
  process.send?.({ type: 'ready', url });
  return {
    url,
    async stop() {
      await server.close();
      await temporal.connection.close();
      await db.destroy();
    },
  };
}

if (require.main === module) {
  startApi()
    .then((api) => {
      const stop = () => void api.stop().then(() => process.exit(0));
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      process.once('disconnect', stop);
    })
    .catch((err) => {
      console.error(err instanceof Error ? err.message : err);
      process.exit(1);
    });
}
