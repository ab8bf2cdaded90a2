/** Autotask authentication: zone discovery, the three headers, and every way a login fails. */
import { randomUUID } from 'node:crypto';
import { autotaskCredentialsSchema } from '../../../../psa/autotask';
import { PsaAuthError, PsaError } from '../../../../psa/core/errors';
import { SEED_CREDENTIALS, SEED_FIXTURES } from '../../../../sims/autotask';
import { apiCalls, AUTH_HEADERS, caught, useAutotaskSim } from './helpers';

const at = useAutotaskSim();

test('the zone comes from unauthenticated zone discovery, then every call carries the three headers', async () => {
  const adapter = await at.adapter();
  const info = await adapter.testConnection();
  expect(info.accountName).toBe('Contoso MSP (owner)');
  expect(info.site.zoneUrl).toBe(at.sim.url);
  const log = at.sim.server.log;
  expect(log[0]?.path.toLowerCase()).toBe('/atservicesrest/v1.0/zoneinformation');
  expect(log[0]?.query).toContain(encodeURIComponent(SEED_CREDENTIALS.apiUser));
  expect(apiCalls(log)).toEqual(['GET /companies/0']);
  expect(log[1]?.status).toBe(200);
});

test('zone discovery answers the documented shape, and 500 with the zone message for an unknown user', async () => {
  const ok = await at.raw('GET', `zoneInformation?user=${encodeURIComponent(SEED_CREDENTIALS.apiUser)}`, undefined, {});
  expect(ok.status).toBe(200);
  expect(ok.json).toMatchObject({ zoneName: expect.any(String), url: `${at.sim.url}/ATServicesRest/`, webUrl: expect.any(String), ci: expect.any(Number) });
  const unknown = await at.raw('GET', 'zoneInformation?user=nobody%40example.test', undefined, {});
  expect(unknown).toMatchObject({ status: 500, json: { errors: ['Zone information could not be determined'] } });
});

test('an unknown API user fails at zone discovery as PsaAuthError, before any authenticated call', async () => {
  const err = await caught(at.adapter({ apiUser: 'nobody@example.test' }));
  expect(err).toBeInstanceOf(PsaAuthError);
  expect((err as PsaAuthError).accountDisabled).toBe(false);
  expect(err.message).toMatch(/does not know this API user/);
  expect(apiCalls(at.sim.server.log)).toEqual([]);
});

test('a wrong secret is a 401 PsaAuthError that does not claim the account is disabled', async () => {
  const adapter = await at.adapter({ secret: 'not-the-secret' });
  const err = await caught(adapter.testConnection());
  expect(err).toBeInstanceOf(PsaAuthError);
  expect(err).toMatchObject({ status: 401, accountDisabled: false });
});

test('a bad integration code is Autotask\'s 500 "IntegrationCode is invalid." and maps to PsaAuthError', async () => {
  const raw = await at.raw('GET', 'Companies/0', undefined, { ...AUTH_HEADERS, ApiIntegrationCode: 'WRONG' });
  expect(raw).toMatchObject({ status: 500, json: { errors: ['IntegrationCode is invalid.'] } });
  const adapter = await at.adapter({ integrationCode: 'WRONG' });
  const err = await caught(adapter.testConnection());
  expect(err).toBeInstanceOf(PsaAuthError);
  expect(err).toMatchObject({ status: 500, accountDisabled: false });
  expect(err.message).toContain('IntegrationCode is invalid.');
});

test('a locked API user is PsaAuthError with accountDisabled, and works again once unlocked', async () => {
  const adapter = await at.adapter();
  at.sim.state.lockApiUser();
  try {
    const raw = await at.raw('GET', 'Companies/0');
    expect(raw.status).toBe(401);
    expect(JSON.stringify(raw.json)).toMatch(/locked/);
    const err = await caught(adapter.testConnection());
    expect(err).toBeInstanceOf(PsaAuthError);
    expect((err as PsaAuthError).accountDisabled).toBe(true);
  } finally {
    at.sim.state.unlockApiUser();
  }
  await expect(adapter.testConnection()).resolves.toMatchObject({ accountName: expect.any(String) });
});

test('an inactive API user is also accountDisabled', async () => {
  const adapter = await at.adapter();
  at.sim.state.deactivateApiUser();
  try {
    const err = await caught(adapter.getQuantity(SEED_FIXTURES.organization));
    expect(err).toMatchObject({ kind: 'auth', accountDisabled: true, status: 401 });
  } finally {
    at.sim.state.unlockApiUser();
  }
});

test('the simulator wants all three headers, matches their names case-insensitively and routes in any case', async () => {
  const { Secret: _omitted, ...withoutSecret } = AUTH_HEADERS;
  expect((await at.raw('GET', 'Companies/0', undefined, withoutSecret)).status).toBe(401);
  const lower = { apiintegrationcode: SEED_CREDENTIALS.integrationCode, username: SEED_CREDENTIALS.apiUser, secret: SEED_CREDENTIALS.secret };
  expect((await at.raw('GET', 'Companies/0', undefined, lower)).status).toBe(200);
  const apigrateSpelling = { ApiIntegrationcode: SEED_CREDENTIALS.integrationCode, UserName: SEED_CREDENTIALS.apiUser, Secret: SEED_CREDENTIALS.secret };
  const res = await fetch(`${at.sim.url}/atservicesrest/v1.0/companies/0`, { headers: apigrateSpelling });
  expect(res.status).toBe(200);
  expect(((await res.json()) as { item: { id: number } }).item.id).toBe(0);
});

test('the credentials form trims what the partner typed and explains what is missing', () => {
  const parsed = autotaskCredentialsSchema.parse({ apiUser: '  api@msp.example ', secret: ' s3cret\t', integrationCode: ' CODE ' });
  expect(parsed).toEqual({ apiUser: 'api@msp.example', secret: 's3cret', integrationCode: 'CODE' });
  const empty = autotaskCredentialsSchema.safeParse({ apiUser: ' ', secret: '', integrationCode: '' });
  expect(empty.success).toBe(false);
  const messages = empty.error?.issues.map((i) => i.message).join(' | ');
  expect(messages).toMatch(/API user name/);
  expect(messages).toMatch(/secret/);
  expect(messages).toMatch(/tracking identifier/);
  expect(autotaskCredentialsSchema.safeParse({ ...SEED_CREDENTIALS, siteUrl: 'https://evil.example' }).success).toBe(false);
});

test('credentials never appear in error messages or stacks, whichever way a call fails', async () => {
  const sentinel = `S3NT1NEL-${randomUUID()}`;
  const failures: Error[] = [];
  const badSecret = await at.adapter({ secret: sentinel });
  failures.push(await caught(badSecret.testConnection()));
  failures.push(await caught(badSecret.getQuantity(SEED_FIXTURES.organization)));
  const badCode = await at.adapter({ integrationCode: sentinel });
  failures.push(await caught(badCode.options('ticket', 'status')));
  failures.push(await caught(at.adapter({ apiUser: `${sentinel}@example.test` })));
  // Valid credentials containing the sentinel would be echoed by a careless mapper; the secret is real here.
  const good = await at.adapter();
  failures.push(await caught(good.getTicket('999999999')));
  failures.push(await caught(good.createTicket({ marker: sentinel, title: sentinel, description: '', organization: SEED_FIXTURES.organization, ticketMapping: { ...SEED_FIXTURES.ticketMapping, priority: '999' } })));
  at.sim.state.lockApiUser();
  failures.push(await caught(good.testConnection()));
  at.sim.state.unlockApiUser();
  for (const f of failures) {
    expect(f).toBeInstanceOf(PsaError);
    expect(`${f.message}\n${f.stack}\n${JSON.stringify(f)}`).not.toContain(sentinel);
    expect(`${f.message}\n${f.stack}`).not.toContain(SEED_CREDENTIALS.secret);
  }
});
