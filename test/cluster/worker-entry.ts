/**
 * worker/main.ts with the vendors' rate budgets lifted to what the test's simulators allow, so
 * a chaos run is limited by its faults and kills, not by HaloPSA's 300 requests per 5 minutes.
 * PSA calls time out after 5 s, so an injected never-answering request costs seconds.
 */
import { runWorker } from '../../worker/main';

const limits = { maxRequests: 100_000, windowMs: 60_000, maxConcurrentPerEndpoint: 10 };

runWorker({ psaOverrides: { limits: { connectwise: limits, autotask: limits, halopsa: limits }, timeoutMs: 5_000 } }).catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
