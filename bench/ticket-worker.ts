/**
 * The benchmark's worker process: worker/main.ts with the vendors' rate budgets lifted
 * (BENCH_PSA_MAX_REQUESTS), so the engine is measured rather than the vendors' quotas, and the
 * yardsticks' no-op activity registered beside psa-sync's own. Its workflow bundle
 * (WORKFLOW_BUNDLE_PATH, built by bench/tickets.ts from bench/workflows.ts) holds the yardsticks.
 */
import { runWorker } from '../worker/main';
import { createBaselineActivities } from './baseline-activities';

const max = Number(process.env.BENCH_PSA_MAX_REQUESTS ?? 1_000_000);
const limits = { maxRequests: max, windowMs: 60_000, maxConcurrentPerEndpoint: 50 };

runWorker({
  psaOverrides: { limits: { connectwise: limits, autotask: limits, halopsa: limits }, timeoutMs: 10_000 },
  wrapActivities: (activities) => ({ ...activities, ...createBaselineActivities() }),
}).catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
