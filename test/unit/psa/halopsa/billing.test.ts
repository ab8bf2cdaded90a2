import { PsaNotFoundError, PsaValidationError } from '../../../../psa/core/errors';
import type { PsaAdapter } from '../../../../psa/core/types';
import { SEED_FIXTURES } from '../../../../sims/halopsa';
import { apiCalls, useHalo } from './helpers';

describe('HaloPSA seat sync (software licence count)', () => {
  const h = useHalo();
  let adapter: PsaAdapter;
  const org = { ...SEED_FIXTURES.organization };
  beforeAll(async () => {
    adapter = await h.adapter({ key: 'billing' });
  });
  beforeEach(() => h.sim.reset());

  it('reads the licence count and sets an absolute value with POST [{id, count}]', async () => {
    expect(await adapter.getQuantity(org)).toBe(SEED_FIXTURES.initialQuantity);
    h.sim.reset();
    expect(await adapter.setQuantity(org, 31)).toEqual({ previous: SEED_FIXTURES.initialQuantity, current: 31 });
    expect(apiCalls(h.sim.log)).toEqual(['GET /api/softwarelicence/501', 'POST /api/softwarelicence']);
    expect(h.halo.state.data.licences.find((l) => l.id === 501)?.count).toBe(31);
  });

  it('setting the same value again writes nothing', async () => {
    await adapter.setQuantity(org, 40);
    h.sim.reset();
    expect(await adapter.setQuantity(org, 40)).toEqual({ previous: 40, current: 40 });
    expect(apiCalls(h.sim.log)).toEqual(['GET /api/softwarelicence/501']);
  });

  it('zero is a valid quantity; negatives and fractions are refused before any call', async () => {
    expect((await adapter.setQuantity(org, 0)).current).toBe(0);
    h.sim.reset();
    await expect(adapter.setQuantity(org, -1)).rejects.toBeInstanceOf(PsaValidationError);
    await expect(adapter.setQuantity(org, 2.5)).rejects.toBeInstanceOf(PsaValidationError);
    expect(h.sim.log).toHaveLength(0);
  });

  it('a licence of another customer is not this organization’s billing object', async () => {
    await expect(adapter.getQuantity({ customer: '101', softwareLicence: SEED_FIXTURES.foreignLicence })).rejects.toBeInstanceOf(PsaNotFoundError);
  });

  it('a licence deleted in Halo is PsaNotFoundError for read and set', async () => {
    const scratch = await h.adapter({ key: 'billing-deleted' });
    h.deleteBillingObject();
    await expect(scratch.getQuantity(org)).rejects.toBeInstanceOf(PsaNotFoundError);
    await expect(scratch.setQuantity(org, 3)).rejects.toBeInstanceOf(PsaNotFoundError);
    expect(await scratch.option('organization', 'softwareLicence', org.softwareLicence, { customer: org.customer })).toBeNull();
  });
});
