/**
 * The adapter's rate governor against the simulator's own limiter: a burst stays inside the
 * PSA's budget (no 429 at all), concurrency per endpoint is capped, and a 429 with Retry-After
 * pauses the whole connection and is then retried, never dropped.
 */
import { createConnectWiseHarness } from '../harness/connectwise';

const h = createConnectWiseHarness();
beforeAll(() => h.start());
afterAll(() => h.stop());
beforeEach(() => {
  h.sim.reset();
  h.cw.state.latencyMs = 0;
  h.cw.state.rateLimit = { maxRequests: 1000, windowMs: 60_000 };
});

let seq = 0;
const key = () => `gov-${++seq}-${Date.now()}`;

it('a burst at the PSA budget never draws a 429 and never exceeds the window', async () => {
  const adapter = await h.adapter({ key: key(), limits: { maxRequests: 10, windowMs: 600 } });
  h.sim.log.length = 0;
  h.cw.state.rateLimit = { maxRequests: 10, windowMs: 600 };
  const started = Date.now();
  const results = await Promise.all(Array.from({ length: 25 }, () => adapter.getQuantity(h.fixtures.organization)));
  expect(results.every((q) => q === h.fixtures.initialQuantity)).toBe(true);
  expect(h.sim.log.filter((e) => e.status === 429)).toEqual([]);
  expect(h.sim.log).toHaveLength(25);
  expect(h.cw.state.peakInWindow).toBeLessThanOrEqual(10);
  expect(Date.now() - started).toBeGreaterThanOrEqual(1200); // 25 requests need three windows
});

it('caps requests in flight per endpoint, while other endpoints proceed', async () => {
  const adapter = await h.adapter({ key: key(), limits: { maxConcurrentPerEndpoint: 3 } });
  h.cw.state.latencyMs = 40;
  // Open the TLS connections first: on a loaded machine new handshakes can stagger the first
  // requests by more than the 40 ms each is held, and the endpoint would never see 3 at once.
  const burst = () => [
    ...Array.from({ length: 12 }, () => adapter.options('organization', 'company')),
    ...Array.from({ length: 6 }, () => adapter.options('ticket', 'priority')),
  ];
  await Promise.all(burst());
  h.cw.state.maxInFlight.clear();
  await Promise.all(burst());
  expect(h.cw.state.maxInFlight.get('company/companies')).toBe(3);
  expect(h.cw.state.maxInFlight.get('service/priorities')).toBe(3);
  expect(h.sim.log.every((e) => e.status === 200)).toBe(true);
});

it('a 429 from the PSA pauses every caller until Retry-After, then all requests succeed', async () => {
  const adapter = await h.adapter({ key: key() }); // default budget: far above the PSA's tightened one
  h.sim.reset();
  h.cw.state.rateLimit = { maxRequests: 3, windowMs: 1500 };
  const started = Date.now();
  const results = await Promise.all(Array.from({ length: 6 }, () => adapter.getQuantity(h.fixtures.organization)));
  expect(results).toHaveLength(6);
  const limited = h.sim.log.filter((e) => e.status === 429);
  const ok = h.sim.log.filter((e) => e.status === 200);
  expect(limited.length).toBeGreaterThan(0);
  expect(ok).toHaveLength(6);
  // After the first 429 (Retry-After 2 s) nothing is sent until the pause is over.
  const first429 = limited[0]?.at as number;
  const next = h.sim.log.find((e) => e.at > first429 && e.status !== 429 && e !== limited[0]);
  expect((next?.at ?? 0) - first429).toBeGreaterThanOrEqual(1900);
  expect(Date.now() - started).toBeGreaterThanOrEqual(1900);
});

it('an injected 429 with a ConnectWise body is waited out by the adapter', async () => {
  const adapter = await h.adapter({ key: key() });
  h.sim.addFault({ kind: 'rate_limit', retryAfterSec: 1, times: 1, body: { error: 'ConnectWiseAPI', message: 'Too many requests. Please try again in 1 seconds.' } });
  const started = Date.now();
  await expect(adapter.getQuantity(h.fixtures.organization)).resolves.toBe(h.fixtures.initialQuantity);
  expect(Date.now() - started).toBeGreaterThanOrEqual(950);
  expect(h.sim.log.map((e) => e.status)).toEqual([429, 200]);
});
