import { PsaAuthError } from '../../../../psa/core/errors';
import { halopsaFactory } from '../../../../psa/halopsa';
import { SEED_CREDENTIALS, startHaloPsaSim, type HaloPsaSim } from '../../../../sims/halopsa';
import { LOOPBACK_POLICY } from '../harness/halopsa';
import { caught, useHalo } from './helpers';

let seq = 0;
const key = () => `halo-auth-${process.pid}-${(seq += 1)}`;

describe('HaloPSA OAuth2 client credentials', () => {
  const h = useHalo();
  beforeEach(() => {
    h.sim.reset();
    h.halo.state.setApplicationActive(true);
    h.halo.state.setAgentInactive(10, false);
  });

  it('requests a token form-encoded with scope=all and reuses it across calls', async () => {
    const adapter = await h.adapter({ key: key() });
    await adapter.testConnection();
    await adapter.options('ticket', 'sla');
    await adapter.options('ticket', 'ticketType');
    const tokenCalls = h.sim.log.filter((e) => e.path === '/auth/token');
    expect(tokenCalls).toHaveLength(1);
    expect(tokenCalls[0]?.status).toBe(200);
    expect(h.sim.log.filter((e) => e.path.startsWith('/api/')).every((e) => e.status === 200)).toBe(true);
  });

  it('bad client secret → 400 invalid_client → PsaAuthError, not a disabled account', async () => {
    const adapter = await h.badCredentialsAdapter();
    const err = await caught(adapter.testConnection());
    expect(err).toBeInstanceOf(PsaAuthError);
    expect((err as PsaAuthError).accountDisabled).toBe(false);
    expect((err as PsaAuthError).status).toBe(400);
    expect(err.message).toMatch(/client ID or client secret/);
    // Nothing reached /api with bad credentials.
    expect(h.sim.log.some((e) => e.path.startsWith('/api/'))).toBe(false);
  });

  it('unknown client id is refused the same way', async () => {
    const adapter = await halopsaFactory.create(
      { siteUrl: h.halo.url, clientId: 'someone-else', clientSecret: SEED_CREDENTIALS.clientSecret },
      { connectionKey: key(), urlPolicy: LOOPBACK_POLICY },
    );
    const err = await caught(adapter.testConnection());
    expect(err).toBeInstanceOf(PsaAuthError);
    expect((err as PsaAuthError).accountDisabled).toBe(false);
  });

  it('a disabled API application → PsaAuthError with accountDisabled', async () => {
    h.lockApiUser();
    const err = await caught((await h.adapter({ key: key() })).testConnection());
    expect(err).toBeInstanceOf(PsaAuthError);
    expect((err as PsaAuthError).accountDisabled).toBe(true);
  });

  it('an inactive API agent → PsaAuthError with accountDisabled', async () => {
    h.halo.state.setAgentInactive(10, true);
    const err = await caught((await h.adapter({ key: key() })).testConnection());
    expect(err).toBeInstanceOf(PsaAuthError);
    expect((err as PsaAuthError).accountDisabled).toBe(true);
  });

  it('locking the application mid-session: the cached token stops working, the refresh is refused as disabled', async () => {
    const adapter = await h.adapter({ key: key() });
    await adapter.testConnection();
    h.lockApiUser();
    const err = await caught(adapter.options('ticket', 'sla'));
    expect(err).toBeInstanceOf(PsaAuthError);
    expect((err as PsaAuthError).accountDisabled).toBe(true);
    const statuses = h.sim.log.map((e) => `${e.path}:${e.status}`);
    expect(statuses).toEqual(expect.arrayContaining(['/api/SLA:401', '/auth/token:400']));
  });

  it('an expired token is refreshed once on 401 and the call succeeds', async () => {
    const adapter = await h.adapter({ key: key() });
    await adapter.testConnection();
    h.halo.state.expireAllTokens();
    h.sim.reset();
    const page = await adapter.options('ticket', 'sla');
    expect(page.items.length).toBe(3);
    expect(h.sim.log.map((e) => `${e.method} ${e.path} ${e.status}`)).toEqual(['GET /api/SLA 401', 'POST /auth/token 200', 'GET /api/SLA 200']);
  });

  it('refreshes before expiry when Halo issues short-lived tokens', async () => {
    const sim: HaloPsaSim = await startHaloPsaSim({ tokenTtlSec: 1 });
    try {
      const adapter = await halopsaFactory.create(
        { siteUrl: sim.url, clientId: SEED_CREDENTIALS.clientId, clientSecret: SEED_CREDENTIALS.clientSecret },
        { connectionKey: key(), urlPolicy: LOOPBACK_POLICY },
      );
      await adapter.options('ticket', 'sla');
      await new Promise((r) => setTimeout(r, 1100));
      await adapter.options('ticket', 'sla');
      // The second token was fetched up front: no 401 round trip.
      expect(sim.server.log.map((e) => `${e.path}:${e.status}`)).toEqual(['/auth/token:200', '/api/SLA:200', '/auth/token:200', '/api/SLA:200']);
    } finally {
      await sim.close();
    }
  });
});

describe('HaloPSA hosted tenant parameter', () => {
  let sim: HaloPsaSim;
  beforeAll(async () => {
    sim = await startHaloPsaSim({ tenant: 'acme' });
  });
  afterAll(() => sim.close());

  const adapterFor = (tenant?: string) =>
    halopsaFactory.create(
      { siteUrl: `${sim.url}/api`, clientId: SEED_CREDENTIALS.clientId, clientSecret: SEED_CREDENTIALS.clientSecret, ...(tenant ? { tenant } : {}) },
      { connectionKey: key(), urlPolicy: LOOPBACK_POLICY },
    );

  it('sends ?tenant= on the token request', async () => {
    const info = await (await adapterFor('acme')).testConnection();
    expect(info.site.tenant).toBe('acme');
    const tokenCall = sim.server.log.find((e) => e.path === '/auth/token');
    expect(tokenCall?.query).toBe('?tenant=acme');
  });

  it('a missing or wrong tenant is an auth failure', async () => {
    await expect((await adapterFor()).testConnection()).rejects.toBeInstanceOf(PsaAuthError);
    await expect((await adapterFor('other')).testConnection()).rejects.toBeInstanceOf(PsaAuthError);
  });
});
