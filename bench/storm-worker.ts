/**
 * The storm benchmark's worker: worker/main.ts as it is, except that a `--budget` other than
 * HaloPSA's own (STORM_HALO_BUDGET=<requests>/<seconds>) is given to its governor too, so a
 * shortened run keeps the client and the simulator on the same budget.
 */
import { runWorker } from '../worker/main';

const budget = /^(\d+)\/(\d+)$/.exec(process.env.STORM_HALO_BUDGET ?? '');
const halopsa = budget ? { maxRequests: Number(budget[1]), windowMs: Number(budget[2]) * 1000 } : undefined;

runWorker(halopsa ? { psaOverrides: { limits: { halopsa } } } : {}).catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
