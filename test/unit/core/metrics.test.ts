/**
 * The metrics registry and the PSA observer: real HTTP calls against a simulator server move the
 * counters by vendor, operation and status (429s and governor waits included); a failing
 * observer never fails a call; the activity interceptor counts failures by type; the worker's
 * metrics endpoint honours its token and reports an SDK exporter that does not answer.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { RateGovernor } from '../../../psa/core/governor';
import { PsaHttpClient } from '../../../psa/core/http';
import { PsaUnavailableError } from '../../../psa/core/errors';
import { setPsaObserver, withPsaOperation, type PsaObserver } from '../../../psa/core/observer';
import { SimServer } from '../../../sims/common/server';
import { activityMetricsInterceptor, metricsRegistry, metricsText, psaMetricsObserver, sdkMetricsReader, startMetricsServer } from '../../../infra/metrics';

let sim: SimServer;

beforeAll(async () => {
  sim = new SimServer({ name: 'metrics-test' });
  sim.route('POST', '/tickets', () => ({ status: 201, body: { id: 1 } }));
  sim.route('GET', '/tickets', () => ({ status: 200, body: [] }));
  await sim.listen();
});
afterAll(() => sim.close());
beforeEach(() => sim.reset());

const client = () =>
  new PsaHttpClient({
    baseUrl: sim.url,
    governor: new RateGovernor({ maxRequests: 1000, windowMs: 1000, maxConcurrentPerEndpoint: 10 }),
    mapError: (res) => new PsaUnavailableError(`status ${res.status}`, { status: res.status }),
    timeoutMs: 500,
  });

const matches = (labels: Partial<Record<string, string | number>>, want: Record<string, string>) => Object.entries(want).every(([k, l]) => String(labels[k]) === l);

/** A counter series' value (0 before it exists). */
async function count(name: string, labels: Record<string, string>): Promise<number> {
  const metric = await metricsRegistry.getSingleMetric(name)?.get();
  return metric?.values.find((v) => matches(v.labels, labels))?.value ?? 0;
}

/** How many observations a histogram series has. */
async function histogramCount(name: string, labels: Record<string, string>): Promise<number> {
  const metric = await metricsRegistry.getSingleMetric(name)?.get();
  return metric?.values.find((v) => (v as { metricName?: string }).metricName === `${name}_count` && matches(v.labels, labels))?.value ?? 0;
}

test('PSA calls are counted by vendor, operation and status; a 429 and the governor wait are recorded', async () => {
  const labels = { vendor: 'halopsa', operation: 'createTicket' };
  const before = {
    created: await count('psa_sync_psa_calls_total', { ...labels, status: '201' }),
    limited: await count('psa_sync_psa_calls_total', { ...labels, status: '429' }),
    rateLimited: await count('psa_sync_psa_rate_limited_total', labels),
    waits: await histogramCount('psa_sync_governor_wait_seconds', { vendor: 'halopsa' }),
  };
  sim.addFault({ kind: 'rate_limit', retryAfterSec: 0.1, times: 1 });
  await withPsaOperation(labels, () => client().request({ method: 'POST', url: '/tickets', json: {} }));
  expect(await count('psa_sync_psa_calls_total', { ...labels, status: '201' })).toBe(before.created + 1);
  expect(await count('psa_sync_psa_calls_total', { ...labels, status: '429' })).toBe(before.limited + 1);
  expect(await count('psa_sync_psa_rate_limited_total', labels)).toBe(before.rateLimited + 1);
  // One slot per request sent: the first and the one after Retry-After.
  expect(await histogramCount('psa_sync_governor_wait_seconds', { vendor: 'halopsa' })).toBe(before.waits + 2);
});

test('a call outside any adapter operation is counted as unknown; an answer that never came as "error"', async () => {
  const before = await count('psa_sync_psa_calls_total', { vendor: 'unknown', operation: 'unknown', status: 'error' });
  sim.addFault({ kind: 'timeout', ms: 2000, times: 1 });
  await expect(client().request({ method: 'POST', url: '/tickets', json: {} })).rejects.toBeInstanceOf(PsaUnavailableError);
  expect(await count('psa_sync_psa_calls_total', { vendor: 'unknown', operation: 'unknown', status: 'error' })).toBe(before + 1);
});

test('an observer that throws never fails the PSA call', async () => {
  const broken: PsaObserver = {
    call: () => {
      throw new Error('metrics down');
    },
    rateLimited: () => {
      throw new Error('metrics down');
    },
    governorWait: () => {
      throw new Error('metrics down');
    },
  };
  setPsaObserver(broken);
  try {
    const res = await withPsaOperation({ vendor: 'autotask', operation: 'getTicket' }, () => client().request({ method: 'GET', url: '/tickets' }));
    expect(res.status).toBe(200);
  } finally {
    setPsaObserver(psaMetricsObserver);
  }
});

test('the activity interceptor counts failed attempts by type and retryability, and measures schedule lag', async () => {
  const ctx = { info: { activityType: 'openServiceTicket', isLocal: true, currentAttemptScheduledTimestampMs: Date.now() - 250 } } as unknown as Context;
  const execute = activityMetricsInterceptor(ctx).inbound?.execute;
  if (!execute) throw new Error('no inbound interceptor');
  const input = { args: [], headers: {} };
  const lagBefore = await histogramCount('psa_sync_schedule_lag_seconds', { activity: 'openServiceTicket', kind: 'local' });
  const final = { activity: 'openServiceTicket', type: 'RuleViolation', retryable: 'false' };
  const transient = { activity: 'openServiceTicket', type: 'PsaUnavailableError', retryable: 'true' };
  const before = [await count('psa_sync_activity_failures_total', final), await count('psa_sync_activity_failures_total', transient)];

  await expect(execute(input, async () => 'ok')).resolves.toBe('ok');
  await expect(execute(input, async () => Promise.reject(ApplicationFailure.create({ type: 'RuleViolation', nonRetryable: true, message: 'no' })))).rejects.toThrow('no');
  await expect(execute(input, async () => Promise.reject(new PsaUnavailableError('down')))).rejects.toThrow('down');

  expect(await count('psa_sync_activity_failures_total', final)).toBe((before[0] ?? 0) + 1);
  expect(await count('psa_sync_activity_failures_total', transient)).toBe((before[1] ?? 0) + 1);
  expect(await histogramCount('psa_sync_schedule_lag_seconds', { activity: 'openServiceTicket', kind: 'local' })).toBe(lagBefore + 3);
  const text = await metricsText();
  expect(text).toMatch(/psa_sync_schedule_lag_seconds_bucket\{le="0\.1",activity="openServiceTicket",kind="local"\} \d+/);
});

test("the worker's endpoint: 401 without the token, the registry and the SDK's metrics with it, 404 elsewhere", async () => {
  const sdk = http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end('# TYPE temporal_worker_start_total counter\ntemporal_worker_start_total 1\n'));
  await new Promise<void>((r) => sdk.listen(0, '127.0.0.1', () => r()));
  const sdkUrl = `http://127.0.0.1:${(sdk.address() as AddressInfo).port}/metrics`;
  const server = await startMetricsServer({ host: '127.0.0.1', port: 0, token: 'metrics-token-0123456789', extra: sdkMetricsReader(sdkUrl) });
  try {
    expect((await fetch(server.url)).status).toBe(401);
    expect((await fetch(server.url, { headers: { authorization: 'Bearer wrong-token-0123456789' } })).status).toBe(401);
    const res = await fetch(server.url, { headers: { authorization: 'Bearer metrics-token-0123456789' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await res.text();
    expect(text).toContain('# TYPE psa_sync_psa_calls_total counter');
    expect(text).toContain('process_resident_memory_bytes');
    expect(text).toContain('temporal_worker_start_total 1');
    expect(text).toContain('psa_sync_sdk_metrics_up 1');
    expect((await fetch(server.url.replace('/metrics', '/other'))).status).toBe(404);
  } finally {
    await server.close();
    await new Promise<void>((r) => sdk.close(() => r()));
  }
  // The exporter gone: the scrape still answers, saying so.
  expect(await sdkMetricsReader(sdkUrl, 500)()).toContain('psa_sync_sdk_metrics_up 0');
});
