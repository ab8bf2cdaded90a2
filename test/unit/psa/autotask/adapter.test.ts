import { randomUUID } from 'node:crypto';
import { autotaskFactory } from '../../../../psa/autotask';
import { verifyAutotaskWebhook, autotaskEscapedForm } from '../../../../psa/autotask/webhook';
import { PsaAuthError, PsaConfigError, PsaValidationError } from '../../../../psa/core/errors';
import { STRICT_URL_POLICY } from '../../../../psa/core/url-guard';
import { SEED_CREDENTIALS, SEED_FIXTURES, signWebhookBody, startAutotaskSim, type AutotaskSim } from '../../../../sims/autotask';
import { LOOPBACK_POLICY } from '../harness/autotask';

let sim: AutotaskSim;
beforeAll(async () => {
  sim = await startAutotaskSim();
});
afterAll(() => sim.close());
beforeEach(() => sim.server.reset());

const create = (overrides: Partial<Record<keyof typeof SEED_CREDENTIALS, string>> = {}, limits?: { maxRequests: number; windowMs: number }) =>
  autotaskFactory.create({ ...SEED_CREDENTIALS, ...overrides }, { connectionKey: `at-${randomUUID()}`, urlPolicy: LOOPBACK_POLICY, autotaskZoneLookupUrl: sim.url, ...(limits ? { limits } : {}) });

test('the zone comes from zone discovery and every call carries the three headers', async () => {
  const adapter = await create();
  await adapter.testConnection();
  const paths = sim.server.log.map((l) => l.path.toLowerCase());
  expect(paths[0]).toBe('/atservicesrest/v1.0/zoneinformation');
  expect(paths[1]).toBe('/atservicesrest/v1.0/companies/0');
});

test('an unknown API user fails at zone discovery; a bad integration code and a bad secret are auth errors', async () => {
  await expect(create({ apiUser: 'nobody@example.test' })).rejects.toThrow(/does not know this API user/);
  const badCode = await create({ integrationCode: 'WRONG' });
  await expect(badCode.testConnection()).rejects.toThrow(/IntegrationCode is invalid/);
  const badSecret = await create({ secret: 'wrong-secret' });
  const err = await badSecret.testConnection().catch((e: unknown) => e);
  expect(err).toBeInstanceOf(PsaAuthError);
  expect((err as PsaAuthError).accountDisabled).toBe(false);
});

test('secrets never appear in error messages or stacks', async () => {
  const sentinel = `S3NT1NEL-${randomUUID()}`;
  const failures: unknown[] = [];
  const bad = await create({ secret: sentinel });
  failures.push(await bad.testConnection().catch((e: unknown) => e));
  failures.push(await bad.getQuantity(SEED_FIXTURES.organization).catch((e: unknown) => e));
  failures.push(await create({ apiUser: sentinel }).catch((e: unknown) => e));
  for (const f of failures) {
    expect(f).toBeInstanceOf(Error);
    expect(`${(f as Error).message} ${(f as Error).stack}`).not.toContain(sentinel);
  }
});

test('the strict policy refuses a zone lookup on loopback and plain http', async () => {
  await expect(autotaskFactory.create({ ...SEED_CREDENTIALS }, { connectionKey: 'strict', urlPolicy: STRICT_URL_POLICY, autotaskZoneLookupUrl: sim.url })).rejects.toBeInstanceOf(PsaConfigError);
});

test('a zone URL outside Autotask hosts is refused even when the lookup host is allowed', async () => {
  const policy = { allowHosts: ['localhost'], allowPrivateNetworks: false, allowHttp: true };
  await expect(autotaskFactory.create({ ...SEED_CREDENTIALS }, { connectionKey: 'zone', urlPolicy: policy, autotaskZoneLookupUrl: sim.url })).rejects.toBeInstanceOf(PsaConfigError);
});

test('company options follow nextPageUrl to the last page; sub-issue types follow their issue type', async () => {
  const adapter = await create();
  const seen = new Set<string>();
  let cursor: string | null = null;
  let pages = 0;
  do {
    const page = await adapter.options('organization', 'company', { pageSize: 25, cursor });
    page.items.forEach((i) => seen.add(i.id));
    cursor = page.nextCursor;
    pages += 1;
  } while (cursor);
  expect(pages).toBe(3);
  expect(seen.size).toBe(66);
  expect(sim.server.log.some((l) => l.path.toLowerCase().endsWith('/companies/query/next'))).toBe(true);
  const subs = await adapter.options('ticket', 'subIssueType', { parents: { issueType: '11' } });
  expect(subs.items.map((s) => s.name)).toEqual(['Mailbox unreachable']);
  expect(await adapter.option('ticket', 'subIssueType', '201', { issueType: '11' })).toBeNull();
  const contracts = await adapter.options('organization', 'contract', { parents: { company: SEED_FIXTURES.organization.company } });
  expect(contracts.items.map((c) => c.id)).toEqual([SEED_FIXTURES.organization.contract]);
});

test('a page cursor pointing outside the zone is refused before any request', async () => {
  const adapter = await create();
  sim.server.log.length = 0;
  await expect(adapter.options('organization', 'company', { cursor: 'http://169.254.169.254/latest/meta-data/' })).rejects.toBeInstanceOf(PsaValidationError);
  expect(sim.server.log).toHaveLength(0);
});

test('quantity is set with a signed adjustment computed from the current units', async () => {
  const adapter = await create();
  const before = await adapter.getQuantity(SEED_FIXTURES.organization);
  sim.server.log.length = 0;
  await adapter.setQuantity(SEED_FIXTURES.organization, before - 4);
  const adjustment = sim.server.log.find((l) => l.path.toLowerCase().endsWith('/contractserviceadjustments'));
  expect(adjustment?.status).toBe(200);
  expect(await adapter.getQuantity(SEED_FIXTURES.organization)).toBe(before - 4);
});

test('a ticket with an invalid picklist value is refused with the vendor message', async () => {
  const adapter = await create();
  const err = await adapter
    .createTicket({ marker: `m-${randomUUID()}`, title: 't', description: 'd', organization: SEED_FIXTURES.organization, ticketMapping: { ...SEED_FIXTURES.ticketMapping, priority: '999' } })
    .catch((e: unknown) => e);
  expect(err).toBeInstanceOf(PsaValidationError);
  expect((err as PsaValidationError).details.join()).toMatch(/not a valid picklist value for field priority/);
});

test('the thread limit answers 429 past 3 concurrent requests per endpoint, and the governor keeps under it', async () => {
  const slow = await startAutotaskSim({ latencyMs: 150 });
  try {
    const adapter = await autotaskFactory.create({ ...SEED_CREDENTIALS }, { connectionKey: `t-${randomUUID()}`, urlPolicy: LOOPBACK_POLICY, autotaskZoneLookupUrl: slow.url });
    await Promise.all(Array.from({ length: 9 }, () => adapter.getQuantity(SEED_FIXTURES.organization)));
    expect(slow.server.log.filter((l) => l.status === 429)).toHaveLength(0);
    // Without the governor (raw requests), the simulator refuses the fourth concurrent call.
    const headers = { ApiIntegrationCode: SEED_CREDENTIALS.integrationCode, UserName: SEED_CREDENTIALS.apiUser, Secret: SEED_CREDENTIALS.secret };
    const statuses = await Promise.all(Array.from({ length: 5 }, () => fetch(`${slow.url}/ATServicesRest/V1.0/Companies/0`, { headers }).then((r) => r.status)));
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThan(0);
  } finally {
    await slow.close();
  }
});

test('webhook signatures: raw body, the escaped form, and a forgery', () => {
  const secret = 'webhook-secret';
  const body = JSON.stringify({ Action: 'Update', Guid: 'g', EntityType: 'Ticket', Id: 42, Fields: { Status: '5', Title: 'R&D <backup>' } });
  expect(verifyAutotaskWebhook(body, { 'x-hook-signature': signWebhookBody(secret, body) }, secret)).toMatchObject({ ticketId: '42', closed: true, statusId: '5' });
  const escapedSig = signWebhookBody(secret, autotaskEscapedForm(body));
  expect(verifyAutotaskWebhook(body, { 'X-Hook-Signature': escapedSig }, secret).ticketId).toBe('42');
  expect(() => verifyAutotaskWebhook(body, { 'x-hook-signature': signWebhookBody('other', body) }, secret)).toThrow(PsaAuthError);
  expect(() => verifyAutotaskWebhook(body.replace('42', '43'), { 'x-hook-signature': signWebhookBody(secret, body) }, secret)).toThrow(PsaAuthError);
});

test('a technician close is delivered as a signed webhook; our own changes are excluded', async () => {
  const received: { body: string; sig: string }[] = [];
  const http = await import('node:http');
  const server = http.createServer((req, res) => {
    let data = '';
    req.on('data', (c) => (data += c));
    req.on('end', () => {
      received.push({ body: data, sig: String(req.headers['x-hook-signature']) });
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  try {
    const adapter = await create();
    const subscription = await adapter.subscribeTicketEvents(`http://127.0.0.1:${port}/hook`, 'shared-secret');
    const ticket = await adapter.createTicket({ marker: `m-${randomUUID()}`, title: 't', description: 'd', organization: SEED_FIXTURES.organization, ticketMapping: SEED_FIXTURES.ticketMapping });
    await adapter.addTicketNote(ticket.id, 'ours');
    await sim.state.flush();
    expect(received).toHaveLength(0);
    await sim.state.technicianClose(Number(ticket.id));
    expect(received).toHaveLength(1);
    expect(verifyAutotaskWebhook(received[0]!.body, { 'x-hook-signature': received[0]!.sig }, 'shared-secret')).toMatchObject({ ticketId: ticket.id, closed: true });
    await adapter.unsubscribeTicketEvents(subscription);
    expect(sim.state.webhooks.size).toBe(0);
  } finally {
    server.close();
  }
});
