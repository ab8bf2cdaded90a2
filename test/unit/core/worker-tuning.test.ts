/**
 * The worker's memory and concurrency settings: production defaults bound the sticky cache (the
 * SDK's own default grows with the heap and kept every open run resident), the environment
 * overrides them, and the workflow-task concurrency never exceeds the cache (the SDK would refuse).
 */
import { ConfigError, loadConfig } from '../../../config/env';
import { workerTuningFrom } from '../../../worker/create-worker';

test('defaults: a bounded cache, V8 context reuse, modest concurrency', () => {
  expect(workerTuningFrom(loadConfig({}))).toEqual({
    maxCachedWorkflows: 250,
    maxConcurrentWorkflowTaskExecutions: 20,
    maxConcurrentActivityTaskExecutions: 50,
    maxConcurrentLocalActivityExecutions: 50,
    reuseV8Context: true,
    stickyQueueScheduleToStartTimeoutMs: 30_000,
  });
});

test('the environment overrides each setting; workflow-task concurrency stays within the cache', () => {
  const t = workerTuningFrom(
    loadConfig({
      WORKER_MAX_CACHED_WORKFLOWS: '10',
      WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: '40',
      WORKER_MAX_CONCURRENT_ACTIVITIES: '5',
      WORKER_MAX_CONCURRENT_LOCAL_ACTIVITIES: '7',
      WORKER_REUSE_V8_CONTEXT: 'false',
      WORKER_STICKY_QUEUE_TIMEOUT_MS: '15000',
    }),
  );
  expect(t).toEqual({ maxCachedWorkflows: 10, maxConcurrentWorkflowTaskExecutions: 10, maxConcurrentActivityTaskExecutions: 5, maxConcurrentLocalActivityExecutions: 7, reuseV8Context: false, stickyQueueScheduleToStartTimeoutMs: 15_000 });
  // A disabled cache (every task replays) keeps the configured concurrency.
  expect(workerTuningFrom(loadConfig({ WORKER_MAX_CACHED_WORKFLOWS: '0' })).maxConcurrentWorkflowTaskExecutions).toBe(20);
});

test('nonsense values are refused by name', () => {
  expect(() => loadConfig({ WORKER_MAX_CACHED_WORKFLOWS: '-1', WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: '1', WORKER_REUSE_V8_CONTEXT: 'perhaps' })).toThrow(ConfigError);
  expect(() => loadConfig({ WORKER_STICKY_QUEUE_TIMEOUT_MS: '10' })).toThrow(/WORKER_STICKY_QUEUE_TIMEOUT_MS/);
  const err = (() => {
    try {
      loadConfig({ WORKER_MAX_CACHED_WORKFLOWS: 'many', METRICS_PORT: '70000', METRICS_TOKEN: 'short' });
      return null;
    } catch (e) {
      return e;
    }
  })();
  expect(err).toBeInstanceOf(ConfigError);
  const problems = (err as ConfigError).problems.join('\n');
  for (const name of ['WORKER_MAX_CACHED_WORKFLOWS', 'METRICS_PORT', 'METRICS_TOKEN']) expect(problems).toContain(name);
});
