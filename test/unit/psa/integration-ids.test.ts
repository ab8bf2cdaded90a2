/**
 * The ConnectWise clientId and the Autotask integration code belong to the vendor: the deployment
 * configures them, the partner's form has no such field, and connections stored with their own
 * keep using it.
 */
import { randomUUID } from 'node:crypto';
import { connectwiseFactory } from '../../../psa/connectwise';
import { autotaskFactory } from '../../../psa/autotask';
import { PsaConfigError } from '../../../psa/core/errors';
import { SEED_CREDENTIALS as CW, startConnectWiseSim, type ConnectWiseSim } from '../../../sims/connectwise';
import { SEED_CREDENTIALS as AT, startAutotaskSim, type AutotaskSim } from '../../../sims/autotask';
import { envSchema } from '../../../config/env';
import { psaOptionsFrom } from '../../../infra/runtime';

const LOOPBACK = { allowHosts: [], allowPrivateNetworks: true, allowHttp: true };
const OTHER_GUID = '0b6a3c1e-7d2f-4a9b-8c1d-2e3f4a5b6c7d';

describe('ConnectWise clientId', () => {
  let sim: ConnectWiseSim;
  beforeAll(async () => {
    sim = await startConnectWiseSim({ port: 0 });
  });
  afterAll(() => sim.close());

  const form = () => ({ siteUrl: sim.host, companyId: CW.companyId, publicKey: CW.publicKey, privateKey: CW.privateKey });
  const create = (creds: Record<string, string>, integrationId?: string) =>
    connectwiseFactory.create(connectwiseFactory.credentialsSchema.parse(creds), {
      connectionKey: `ids-${randomUUID()}`,
      urlPolicy: LOOPBACK,
      ca: sim.ca,
      timeoutMs: 5000,
      ...(integrationId ? { integrationId } : {}),
    });

  it("the partner's form is site URL, company id, public key and private key", () => {
    expect(connectwiseFactory.credentialsSchema.safeParse(form()).success).toBe(true);
  });

  it("calls carry the deployment's clientId", async () => {
    const adapter = await create(form(), CW.clientId);
    await expect(adapter.testConnection()).resolves.toMatchObject({ accountName: expect.any(String) });
    const seen = sim.server.log.at(-1);
    expect(seen?.status).toBe(200);
  });

  it("a connection stored with its own clientId keeps it, whatever the deployment's", async () => {
    // The simulator knows only the seed's clientId: with the deployment's wrong one the call would fail.
    const adapter = await create({ ...form(), clientId: CW.clientId }, OTHER_GUID);
    await expect(adapter.testConnection()).resolves.toBeDefined();
    const refused = await create(form(), OTHER_GUID);
    await expect(refused.testConnection()).rejects.toThrow(/clientId/);
  });

  it('without any clientId the adapter says which setting is missing, before any call', async () => {
    const before = sim.server.log.length;
    await expect(create(form())).rejects.toThrow(PsaConfigError);
    await expect(create(form())).rejects.toThrow(/CONNECTWISE_CLIENT_ID/);
    expect(sim.server.log.length).toBe(before);
  });

  it('the seed\'s example site "api-na-myconnectwise.net" is answered with the host it means', () => {
    const r = connectwiseFactory.credentialsSchema.safeParse({ ...form(), siteUrl: 'api-na-myconnectwise.net' });
    expect(r.success).toBe(false);
    expect(r.error?.issues.map((i) => i.message)).toEqual(['Site URL api-na-myconnectwise.net is not a ConnectWise host: did you mean api-na.myconnectwise.net?']);
  });
});

describe('Autotask integration code', () => {
  let sim: AutotaskSim;
  beforeAll(async () => {
    sim = await startAutotaskSim({ port: 0 });
  });
  afterAll(() => sim.close());

  const create = (creds: Record<string, string>, integrationId?: string) =>
    autotaskFactory.create(autotaskFactory.credentialsSchema.parse(creds), {
      connectionKey: `ids-${randomUUID()}`,
      urlPolicy: LOOPBACK,
      autotaskZoneLookupUrl: sim.url,
      ...(integrationId ? { integrationId } : {}),
    });

  it("the partner's form is the API user (key) and its secret", () => {
    expect(autotaskFactory.credentialsSchema.safeParse({ apiUser: AT.apiUser, secret: AT.secret }).success).toBe(true);
    expect(autotaskFactory.credentialsSchema.safeParse({ apiUser: AT.apiUser }).success).toBe(false);
  });

  it("calls carry the deployment's integration code; a stored one wins", async () => {
    await expect((await create({ apiUser: AT.apiUser, secret: AT.secret }, AT.integrationCode)).testConnection()).resolves.toBeDefined();
    await expect((await create({ apiUser: AT.apiUser, secret: AT.secret, integrationCode: AT.integrationCode }, 'SOMEOTHERCODE')).testConnection()).resolves.toBeDefined();
    await expect((await create({ apiUser: AT.apiUser, secret: AT.secret }, 'SOMEOTHERCODE')).testConnection()).rejects.toThrow();
  });

  it('without any integration code the adapter names the setting', async () => {
    await expect(create({ apiUser: AT.apiUser, secret: AT.secret })).rejects.toThrow(/AUTOTASK_INTEGRATION_CODE/);
  });
});

describe('deployment configuration', () => {
  it('development defaults to the simulators\' registered ids; production has none unless set', () => {
    expect(psaOptionsFrom(envSchema.parse({ NODE_ENV: 'development' })).integrationIds).toEqual({ connectwise: CW.clientId, autotask: AT.integrationCode });
    const production = envSchema.parse({ NODE_ENV: 'production', ENCRYPTION_KEYS: `k1:${Buffer.alloc(32, 7).toString('base64')}`, API_TOKENS: 'a-long-production-token-1234567890', CODEC_AUTH_TOKEN: 'codec-token-long-1234567890', ALERT_WEBHOOK_SECRET: 'alert-webhook-secret-long-1234567890', CONNECTWISE_CLIENT_ID: OTHER_GUID });
    expect(psaOptionsFrom(production).integrationIds).toEqual({ connectwise: OTHER_GUID });
  });

  it('refuses a clientId that is not a GUID', () => {
    const r = envSchema.safeParse({ CONNECTWISE_CLIENT_ID: 'not-a-guid' });
    expect(r.success).toBe(false);
  });
});
