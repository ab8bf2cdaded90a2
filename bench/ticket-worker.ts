/**
 * The benchmark's worker process: worker/main.ts with the vendors' rate budgets lifted
 * (BENCH_PSA_MAX_REQUESTS), so the engine is measured rather than the vendors' quotas.
 */
import { runWorker } from '../worker/main';

const max = Number(process.env.BENCH_PSA_MAX_REQUESTS ?? 1_000_000);
const limits = { maxRequests: max, windowMs: 60_000, maxConcurrentPerEndpoint: 50 };

runWorker({ psaOverrides: { limits: { connectwise: limits, autotask: limits, halopsa: limits }, timeoutMs: 10_000 } }).catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
