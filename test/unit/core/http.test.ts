import { RateGovernor } from '../../../psa/core/governor';
import { PsaHttpClient, parseRetryAfter } from '../../../psa/core/http';
import { PsaCallAbandoned, withCallSignal } from '../../../psa/core/call-context';
import { PsaRateLimitedError, PsaUnavailableError, PsaValidationError } from '../../../psa/core/errors';
import { SimServer } from '../../../sims/common/server';

let sim: SimServer;
let hits = 0;

beforeAll(async () => {
  sim = new SimServer({ name: 'http-test' });
  sim.route('GET', '/things', () => ({ status: 200, body: { n: ++hits } }));
  sim.route('POST', '/things', () => ({ status: 201, body: { created: ++hits } }));
  sim.route('POST', '/bad', () => ({ status: 400, body: { message: 'name is required' } }));
  await sim.listen();
});
afterAll(() => sim.close());
beforeEach(() => {
  sim.reset();
  hits = 0;
});

const client = (extra: Partial<ConstructorParameters<typeof PsaHttpClient>[0]> = {}) =>
  new PsaHttpClient({
    baseUrl: sim.url,
    governor: new RateGovernor({ maxRequests: 1000, windowMs: 1000, maxConcurrentPerEndpoint: 10 }),
    mapError: (res) =>
      res.status >= 500 ? new PsaUnavailableError(`status ${res.status}`, { status: res.status }) : new PsaValidationError('refused', { status: res.status, details: [String((res.body as { message?: string }).message)] }),
    timeoutMs: 500,
    ...extra,
  });

test('a 429 with Retry-After is waited out and the call succeeds', async () => {
  sim.addFault({ kind: 'rate_limit', retryAfterSec: 0.3, times: 1 });
  const started = Date.now();
  const res = await client().request({ method: 'POST', url: '/things', json: {} });
  expect(res.status).toBe(201);
  expect(Date.now() - started).toBeGreaterThanOrEqual(280);
  expect(sim.log.map((l) => l.status)).toEqual([429, 201]);
});

test('a Retry-After longer than the inline budget surfaces PsaRateLimitedError with the wait', async () => {
  sim.addFault({ kind: 'rate_limit', retryAfterSec: 30, times: 1 });
  const err = await client({ maxInlineWaitMs: 1000 }).request({ method: 'GET', url: '/things' }).catch((e) => e);
  expect(err).toBeInstanceOf(PsaRateLimitedError);
  expect(err.retryAfterMs).toBe(30_000);
});

test('idempotent reads are retried on 5xx; writes are not (their outcome is unknown)', async () => {
  sim.addFault({ kind: 'status', status: 503, times: 2 });
  expect((await client().request({ method: 'GET', url: '/things', idempotent: true })).status).toBe(200);
  sim.reset();
  sim.addFault({ kind: 'status', status: 503, times: 1 });
  await expect(client().request({ method: 'POST', url: '/things', json: {} })).rejects.toBeInstanceOf(PsaUnavailableError);
  expect(sim.log).toHaveLength(1);
});

test('a timeout or dropped connection is PsaUnavailableError', async () => {
  sim.addFault({ kind: 'timeout', ms: 2000, times: 1 });
  await expect(client().request({ method: 'POST', url: '/things', json: {} })).rejects.toThrow(/timed out/);
  sim.addFault({ kind: 'commit_then_drop', times: 1 });
  await expect(client().request({ method: 'POST', url: '/things', json: {} })).rejects.toBeInstanceOf(PsaUnavailableError);
  expect(hits).toBe(1); // the dropped create did happen on the server
});

test('vendor messages reach the typed error', async () => {
  const err = await client().request({ method: 'POST', url: '/bad', json: {} }).catch((e) => e);
  expect(err).toBeInstanceOf(PsaValidationError);
  expect(err.details).toEqual(['name is required']);
});

test('Retry-After accepts seconds and HTTP dates', () => {
  expect(parseRetryAfter('2')).toBe(2000);
  expect(parseRetryAfter(new Date(Date.now() + 5000).toUTCString())).toBeGreaterThan(3000);
  expect(parseRetryAfter(undefined)).toBe(1000);
});

describe('calls bound to an abandoned attempt', () => {
  test('a call whose attempt is already abandoned sends nothing', async () => {
    const abort = new AbortController();
    abort.abort();
    const err = await withCallSignal(abort.signal, () => client().request({ method: 'POST', url: '/things', json: {} })).catch((e) => e);
    expect(err).toBeInstanceOf(PsaCallAbandoned);
    expect(sim.log).toEqual([]);
  });

  test('a call paused by a 429 and abandoned meanwhile does not send its write afterwards', async () => {
    sim.addFault({ kind: 'rate_limit', retryAfterSec: 1, times: 1 });
    const abort = new AbortController();
    const pending = withCallSignal(abort.signal, () => client().request({ method: 'POST', url: '/things', json: {} })).catch((e) => e);
    await waitUntil(() => sim.log.length === 1);
    abort.abort();
    expect(await pending).toBeInstanceOf(PsaCallAbandoned);
    await new Promise((r) => setTimeout(r, 1200)); // past the Retry-After: nothing more arrives
    expect(sim.log.map((l) => l.status)).toEqual([429]);
  });

  test('a call waiting for the budget and abandoned leaves the queue; unbound calls are unaffected', async () => {
    const governor = new RateGovernor({ maxRequests: 1, windowMs: 60_000, maxConcurrentPerEndpoint: 10 });
    const c = client({ governor });
    expect((await c.request({ method: 'GET', url: '/things' })).status).toBe(200);
    const abort = new AbortController();
    const pending = withCallSignal(abort.signal, () => c.request({ method: 'POST', url: '/things', json: {} })).catch((e) => e);
    await new Promise((r) => setImmediate(r));
    abort.abort();
    expect(await pending).toBeInstanceOf(PsaCallAbandoned);
    expect(sim.log).toHaveLength(1);
    expect(governor.snapshot().issued).toBe(1);
  });
});

async function waitUntil(cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
