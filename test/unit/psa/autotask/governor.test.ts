/** Rate limits as Autotask enforces them (hourly threshold, 3 threads per endpoint) and the adapter's governor against them. */
import { randomUUID } from 'node:crypto';
import { autotaskFactory, AUTOTASK_DEFAULT_LIMITS } from '../../../../psa/autotask';
import { governorFor } from '../../../../psa/core/factory';
import { SEED_CREDENTIALS, SEED_FIXTURES, startAutotaskSim, type AutotaskSim, type AutotaskSimOptions } from '../../../../sims/autotask';
import { LOOPBACK_POLICY } from '../harness/autotask';
import { AUTH_HEADERS } from './helpers';

const org = SEED_FIXTURES.organization;

async function withSim(options: AutotaskSimOptions, body: (sim: AutotaskSim) => Promise<void>) {
  const sim = await startAutotaskSim(options);
  try {
    await body(sim);
  } finally {
    await sim.close();
  }
}

const adapterFor = (sim: AutotaskSim, limits?: { maxRequests?: number; windowMs?: number; maxConcurrentPerEndpoint?: number }) =>
  autotaskFactory.create({ ...SEED_CREDENTIALS }, { connectionKey: `gov-${randomUUID()}`, urlPolicy: LOOPBACK_POLICY, autotaskZoneLookupUrl: sim.url, ...(limits ? { limits } : {}) });

const rawGet = (sim: AutotaskSim, path: string) => fetch(`${sim.url}/ATServicesRest/V1.0/${path}`, { headers: AUTH_HEADERS });

test('the default budget is Autotask\'s: 10,000 per rolling hour, 3 concurrent per endpoint', () => {
  expect(AUTOTASK_DEFAULT_LIMITS).toEqual({ maxRequests: 10_000, windowMs: 3_600_000, maxConcurrentPerEndpoint: 3 });
});

test('the simulator answers 429 with Retry-After past its request threshold, and ThresholdInformation counts', async () => {
  await withSim({ rateLimit: { maxRequests: 4, windowMs: 60_000 } }, async (sim) => {
    const info = await rawGet(sim, 'ThresholdInformation');
    expect(await info.json()).toEqual({ externalRequestThreshold: 4, requestThresholdTimeframe: 1, currentTimeframeRequestCount: 1 });
    const statuses: number[] = [];
    for (let i = 0; i < 4; i += 1) statuses.push((await rawGet(sim, 'Companies/0')).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
    const refused = await rawGet(sim, 'Companies/0');
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await refused.json()).toEqual({ errors: [expect.stringMatching(/threshold/i)] });
  });
});

test('the simulator refuses a fourth concurrent request on one endpoint, not on another', async () => {
  await withSim({ latencyMs: 200 }, async (sim) => {
    const same = await Promise.all(Array.from({ length: 5 }, () => rawGet(sim, 'Companies/0').then((r) => r.status)));
    expect(same.filter((s) => s === 200)).toHaveLength(3);
    expect(same.filter((s) => s === 429)).toHaveLength(2);
    const spread = await Promise.all(['Companies/0', 'Companies/1000', 'Companies/1001', 'Services/501', 'Contracts/7000'].map((p) => rawGet(sim, p).then((r) => r.status)));
    expect(spread.filter((s) => s === 429)).toHaveLength(0);
  });
});

test('a burst through the governor keeps to 3 in flight per endpoint, so the thread limit never answers 429', async () => {
  await withSim({ latencyMs: 100 }, async (sim) => {
    const adapter = await adapterFor(sim);
    const results = await Promise.all(Array.from({ length: 12 }, () => adapter.getQuantity(org)));
    expect(new Set(results)).toEqual(new Set([SEED_FIXTURES.initialQuantity]));
    expect(sim.server.log.filter((l) => l.status === 429)).toEqual([]);
    expect(Math.max(...sim.peakInFlight.values())).toBe(3);
  });
});

test('a burst never exceeds a configured hourly-style budget', async () => {
  await withSim({ rateLimit: { maxRequests: 5, windowMs: 1000 } }, async (sim) => {
    const adapter = await adapterFor(sim, { maxRequests: 5, windowMs: 1000 });
    const started = Date.now();
    await Promise.all(Array.from({ length: 12 }, () => adapter.getQuantity(org)));
    const api = sim.server.log.filter((l) => !/zoneinformation/i.test(l.path));
    expect(api).toHaveLength(12);
    expect(api.filter((l) => l.status === 429)).toEqual([]);
    const times = api.map((l) => l.at).sort((a, b) => a - b);
    for (const t of times) expect(times.filter((x) => x >= t && x < t + 1000).length).toBeLessThanOrEqual(5);
    expect(Date.now() - started).toBeGreaterThanOrEqual(2000);
  });
});

test('Autotask\'s own 429 with Retry-After is waited out and the call completes, for every caller', async () => {
  await withSim({ rateLimit: { maxRequests: 3, windowMs: 1500 } }, async (sim) => {
    // The adapter's budget is the default (larger than the sim's), so the sim is what says no.
    const adapter = await adapterFor(sim);
    const started = Date.now();
    const results = await Promise.all(Array.from({ length: 5 }, () => adapter.getQuantity(org)));
    expect(results).toEqual(Array(5).fill(SEED_FIXTURES.initialQuantity));
    const statuses = sim.server.log.filter((l) => !/zoneinformation/i.test(l.path)).map((l) => l.status);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThan(0);
    expect(statuses.filter((s) => s === 200)).toHaveLength(5);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
  });
});

test('an injected 429 pauses the whole connection until Retry-After, then both waiting calls go through', async () => {
  await withSim({}, async (sim) => {
    const key = `gov-${randomUUID()}`;
    const adapter = await autotaskFactory.create({ ...SEED_CREDENTIALS }, { connectionKey: key, urlPolicy: LOOPBACK_POLICY, autotaskZoneLookupUrl: sim.url });
    const governor = governorFor(`${key}:autotask`, AUTOTASK_DEFAULT_LIMITS);
    sim.server.addFault({ kind: 'rate_limit', retryAfterSec: 1, times: 1, path: 'contractserviceunits' });
    const started = Date.now();
    // The second caller starts once the connection is paused (not after a fixed delay, which a
    // loaded machine can outlast before the 429 even arrives).
    const paused = async () => {
      while (governor.snapshot().pauses === 0) await new Promise((r) => setTimeout(r, 5));
    };
    const [a, b] = await Promise.all([adapter.getQuantity(org), paused().then(() => adapter.options('plan', 'service'))]);
    expect(a).toBe(SEED_FIXTURES.initialQuantity);
    expect(b.items.length).toBeGreaterThan(0);
    const limited = sim.server.log.findIndex((l) => l.status === 429);
    expect(limited).toBeGreaterThanOrEqual(0);
    const after = sim.server.log.slice(limited + 1);
    expect(after.every((l) => l.at - sim.server.log[limited]!.at >= 950)).toBe(true);
    expect(after.some((l) => /contractserviceunits/i.test(l.path) && l.status === 200)).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
  });
});
