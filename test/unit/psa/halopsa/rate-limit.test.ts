import { halopsaFactory } from '../../../../psa/halopsa';
import type { PsaAdapter } from '../../../../psa/core/types';
import type { GovernorLimits } from '../../../../psa/core/governor';
import { rateLimitText, SEED_CREDENTIALS, startHaloPsaSim, type HaloPsaSim } from '../../../../sims/halopsa';
import { LOOPBACK_POLICY } from '../harness/halopsa';

let seq = 0;
const adapterFor = (sim: HaloPsaSim, limits?: Partial<GovernorLimits>, key = `halo-rl-${process.pid}-${(seq += 1)}`): Promise<PsaAdapter> =>
  halopsaFactory.create(
    { siteUrl: sim.url, clientId: SEED_CREDENTIALS.clientId, clientSecret: SEED_CREDENTIALS.clientSecret },
    { connectionKey: key, urlPolicy: LOOPBACK_POLICY, ...(limits ? { limits } : {}) },
  );

async function withSim<T>(options: Parameters<typeof startHaloPsaSim>[0], fn: (sim: HaloPsaSim) => Promise<T>): Promise<T> {
  const sim = await startHaloPsaSim(options);
  try {
    return await fn(sim);
  } finally {
    await sim.close();
  }
}

describe('HaloPSA rate limiting', () => {
  it("the simulator answers Halo's 429 text past the rolling budget, with or without Retry-After", async () => {
    await withSim({ rateLimit: { maxRequests: 3, windowMs: 60_000 } }, async (sim) => {
      const statuses: number[] = [];
      let last: Response | null = null;
      for (let i = 0; i < 4; i += 1) {
        last = await fetch(`${sim.url}/api/Status`);
        statuses.push(last.status);
      }
      expect(statuses).toEqual([401, 401, 401, 429]); // unauthenticated requests count too
      expect(await last?.text()).toBe('Rate Limit Reached - 3 Requests per rolling 1 minute window');
      expect(Number(last?.headers.get('retry-after'))).toBeGreaterThan(55);
      sim.state.rateLimit.sendRetryAfter = false;
      const bare = await fetch(`${sim.url}/api/Status`);
      expect(bare.status).toBe(429);
      expect(bare.headers.get('retry-after')).toBeNull();
    });
    expect(rateLimitText(300, 300_000)).toBe('Rate Limit Reached - 300 Requests per rolling 5 minute window');
  });

  it('a burst through the governor never exceeds the budget, even across adapter instances', async () => {
    await withSim({ rateLimit: { maxRequests: 5, windowMs: 1000 } }, async (sim) => {
      // Our clock starts when a request leaves, Halo's when it lands; on a loaded test machine that
      // gap reaches a few hundred ms, so the test budget keeps a margin (over 5 minutes it is noise).
      const limits = { maxRequests: 5, windowMs: 1500 };
      const key = `halo-burst-${process.pid}`;
      const [a, b] = [await adapterFor(sim, limits, key), await adapterFor(sim, limits, key)];
      const started = Date.now();
      await Promise.all(Array.from({ length: 12 }, (_, i) => (i % 2 ? a : b).options('ticket', 'sla')));
      const elapsed = Date.now() - started;
      expect(sim.server.log.filter((e) => e.status === 429)).toHaveLength(0);
      expect(sim.server.log).toHaveLength(13); // one token + 12 reads
      expect(elapsed).toBeGreaterThanOrEqual(3000); // 13 requests need three windows
    });
  });

  it('a 429 with Retry-After is waited out and the call succeeds', async () => {
    await withSim({}, async (sim) => {
      const adapter = await adapterFor(sim);
      await adapter.options('ticket', 'sla');
      sim.server.reset();
      sim.server.addFault({ kind: 'rate_limit', retryAfterSec: 1, path: '/api/SLA', times: 1, body: rateLimitText(300, 300_000) });
      const page = await adapter.options('ticket', 'sla');
      expect(page.items).toHaveLength(3);
      const [first, second] = sim.server.log;
      expect([first?.status, second?.status]).toEqual([429, 200]);
      expect((second?.at ?? 0) - (first?.at ?? 0)).toBeGreaterThanOrEqual(950);
    });
  });

  it("Halo's own 429 without Retry-After is backed off and retried, not dropped", async () => {
    await withSim({ rateLimit: { maxRequests: 3, windowMs: 1200, sendRetryAfter: false } }, async (sim) => {
      const adapter = await adapterFor(sim, { maxRequests: 100, windowMs: 1000 });
      const results = [];
      for (let i = 0; i < 5; i += 1) results.push(await adapter.options('ticket', 'status'));
      expect(results.every((r) => r.items.length === 7)).toBe(true);
      const statuses = sim.server.log.map((e) => e.status);
      expect(statuses.filter((s) => s === 429).length).toBeGreaterThan(0);
      expect(statuses.filter((s) => s === 200)).toHaveLength(6); // token + 5 reads
    });
  });
});
