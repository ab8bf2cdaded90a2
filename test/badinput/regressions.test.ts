/**
 * One named test per class of hostile input: each answers a 4xx with a stable code (and a
 * field-level message where there is a field), stores nothing, and leaves the server answering.
 * Runs on the whole stack: the API on loopback, a worker, the PSA simulators, PostgreSQL and
 * the run's Temporal server.
 */
import { ERRORS } from '../../domain/error-catalogue';
import { randomBytes, randomUUID } from 'node:crypto';
import { Connection, Client } from '@temporalio/client';
import { startStack, type Stack } from '../helpers/stack';
import { seedTenants, type SeededTenants } from '../helpers/seed';
import { memoryLogger, testConfig, testDb } from '../helpers/env';
import { integrationsPath, vendorKits } from '../workflow/integration-kit';
import { percentEncode, rawRequest, sendRaw } from './raw-http';
import { ApiServer } from '../../api/server';
import { systemRoutes } from '../../api/routes/system';
import { route } from '../../api/http';
import { createDb } from '../../db/connect';
import { integrationWorkflowId } from '../../workflows/integration-messages';
import { serviceTicketWorkflowId } from '../../workflows/ticket-messages';
import { createIntegrationsClient } from '../../client/integrations';
import { InvalidInput } from '../../domain/errors';
import { connectWiseSignature } from '../../psa/connectwise/webhook';
import { SEED_CREDENTIALS as CW } from '../../sims/connectwise';
import { startUntrustedTlsSite, type UntrustedTlsSite } from '../../sims/common/untrusted-tls';
import { STRICT_URL_POLICY } from '../../psa/core/url-guard';
import { buildRoutes } from '../../api/app';

expect.extend({
  toBeClientError(received: unknown) {
    const pass = typeof received === 'number' && received >= 400 && received < 500;
    return { pass, message: () => `expected a 4xx status, got ${String(received)}` };
  },
});
declare global {
  namespace jest {
    interface Expect {
      toBeClientError(): unknown;
    }
  }
}

let stack: Stack;
let t: SeededTenants;
let port: number;
const config = testConfig();
const TOKEN = config.API_TOKENS[0] as string;

beforeAll(async () => {
  stack = await startStack('badinput-regressions');
  t = await seedTenants(stack.db);
  port = Number(new URL(stack.apiUrl).port);
});
afterAll(async () => {
  await stack?.close();
});

interface Sent {
  status: number;
  body: any;
}

/** A request with the platform token (and a user when given); `body` as a string is sent as is. */
async function call(method: string, path: string, opts: { user?: string | null; body?: unknown; headers?: Record<string, string> } = {}): Promise<Sent> {
  const body = opts.body === undefined ? undefined : typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
  const res = await fetch(`${stack.apiUrl}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${TOKEN}`,
      ...(opts.user ? { 'x-user-id': opts.user } : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...opts.headers,
    },
    ...(body !== undefined ? { body } : {}),
  });
  const text = await res.text();
  let parsed: unknown = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = text;
  }
  return { status: res.status, body: parsed };
}

const fields = (r: Sent) => ((r.body?.error?.issues ?? []) as { field: string }[]).map((i) => i.field);
const alert = (overrides: Record<string, unknown> = {}) => ({
  eventId: `evt-${randomUUID()}`,
  organizationId: t.master.organizationIds[0],
  problem: 'backup_failed',
  event: 'raised',
  occurredAt: new Date().toISOString(),
  ...overrides,
});
const alertCount = async () => Number((await stack.db.selectFrom('alerts').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);

async function stillServing(): Promise<void> {
  const res = await fetch(`${stack.apiUrl}/healthz`);
  expect(res.status).toBe(200);
}

/** Every parameterised path of the OpenAPI document, with real ids in it. */
async function parameterisedPaths(): Promise<{ method: string; path: string; params: string[] }[]> {
  const doc = (await (await fetch(`${stack.apiUrl}/openapi.json`)).json()) as { paths: Record<string, Record<string, unknown>> };
  const out: { method: string; path: string; params: string[] }[] = [];
  for (const [path, ops] of Object.entries(doc.paths)) {
    const params = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1] as string);
    if (params.length) for (const method of Object.keys(ops)) out.push({ method: method.toUpperCase(), path, params });
  }
  return out;
}

test('malformed percent-escapes in any path parameter answer 400 invalid_url', async () => {
  const paths = await parameterisedPaths();
  expect(paths.length).toBeGreaterThanOrEqual(15);
  for (const { method, path, params } of paths) {
    for (const escape of ['%ff', '%E0%A4%A', '%c0%af', '%ed%a0%80']) {
      for (const bad of params) {
        const target = path.replace(/\{(\w+)\}/g, (_m, name: string) => (name === bad ? escape : name === 'psa' ? 'halopsa' : randomUUID()));
        const res = await sendRaw(port, rawRequest({ method, target, headers: { authorization: `Bearer ${TOKEN}` } }));
        expect({ method, target, status: res.status, code: JSON.parse(res.body || '{}').error?.code }).toEqual({ method, target, status: 400, code: 'invalid_url' });
      }
    }
  }
  const query = await sendRaw(port, rawRequest({ target: `${integrationsPath(t.master.id, 'halopsa', '/ticket-mapping/options/status')}?search=%ff`, headers: { authorization: `Bearer ${TOKEN}`, 'x-user-id': t.master.users.owner } }));
  expect([query.status, JSON.parse(query.body).error.code]).toEqual([400, 'invalid_url']);
  await stillServing();
});

test('malformed request-targets answer 4xx and the server keeps answering', async () => {
  for (const target of ['//[', 'http://x:99999/healthz', '//a%20b/', '*', '/%', '/healthz?%', 'healthz', '/a b', `/${'x'.repeat(20_000)}`]) {
    const res = await sendRaw(port, rawRequest({ target }));
    expect({ target: target.slice(0, 30), status: res.status, body: res.body.slice(0, 200) }).toEqual({ target: target.slice(0, 30), status: expect.toBeClientError(), body: expect.any(String) });
  }
  for (const head of ['GET /healthz HTTP/1.1\r\nHost: x\r\nX-Bad: a\u0001b\r\n\r\n', 'GET /healthz HTTP/9.9\r\nHost: x\r\n\r\n', 'FOO /healthz HTTP/1.1\r\nHost: x\r\n\r\n', 'GET /healthz HTTP/1.1\r\n\r\n']) {
    const res = await sendRaw(port, head);
    expect({ head, status: res.status }).toEqual({ head, status: expect.toBeClientError() });
  }
  const big = await sendRaw(port, rawRequest({ target: '/healthz', headers: { 'x-big': 'a'.repeat(40_000) } }));
  expect([big.status, JSON.parse(big.body).error.code]).toEqual([431, 'header_too_large']);
  await stillServing();
});

test('NUL characters and lone surrogates in strings and JSON keys answer 400 naming the field; nothing is stored', async () => {
  const before = await alertCount();
  const nulEvent = await call('POST', '/v1/alerts', { body: alert({ eventId: 'evt-\u0000-x' }) });
  expect([nulEvent.status, fields(nulEvent)]).toEqual([400, ['eventId']]);
  const surrogateEvent = await call('POST', '/v1/alerts', { body: alert({ eventId: 'evt-\ud800' }) });
  expect([surrogateEvent.status, fields(surrogateEvent)]).toEqual([400, ['eventId']]);
  const detailValue = await call('POST', '/v1/alerts', { body: alert({ detail: { job: { name: 'nightly\u0000' } } }) });
  expect([detailValue.status, fields(detailValue)]).toEqual([400, ['detail.job.name']]);
  const detailKey = await call('POST', '/v1/alerts', { body: `{"eventId":"evt-${randomUUID()}","organizationId":"${t.master.organizationIds[0]}","problem":"backup_failed","event":"raised","occurredAt":"${new Date().toISOString()}","detail":{"\\udc00k":1}}` });
  expect(detailKey.status).toBe(400);
  expect(fields(detailKey)[0]).toMatch(/^detail\./);
  expect(await alertCount()).toBe(before);

  const path = integrationsPath(t.master.id, 'halopsa');
  const kits = vendorKits(stack);
  const creds = await call('POST', `${path}/connect`, { user: t.master.users.owner, body: { credentials: { ...kits.halopsa.credentials(), clientId: 'a\u0000b' } } });
  expect([creds.status, fields(creds)]).toEqual([400, ['credentials.clientId']]);
  const mapping = await call('PUT', `${path}/ticket-mapping`, { user: t.master.users.owner, body: { values: { 'status\ud800': '1' } } });
  expect(mapping.status).toBe(400);
  expect(fields(mapping)[0]).toMatch(/^values\./);
  const search = await call('GET', `${path}/ticket-mapping/options/status?search=a%00b`, { user: t.master.users.owner });
  expect([search.status, fields(search)]).toEqual([400, ['query.search']]);
  const field = await call('GET', `${path}/ticket-mapping/options/st%00atus`, { user: t.master.users.owner });
  expect([field.status, fields(field)]).toEqual([400, ['path.field']]);
  const rows = await stack.db.selectFrom('connections').select('id').where('partnerId', '=', t.master.id).execute();
  expect(rows).toEqual([]);
});

test('dates zod would accept but PostgreSQL cannot store answer 400 on the field', async () => {
  for (const occurredAt of ['0000-01-01T00:00:00Z', '9999-12-31T23:59:59-14:00', '0001-01-01T00:00:00+01:00']) {
    const res = await call('POST', '/v1/alerts', { body: alert({ occurredAt }) });
    expect({ occurredAt, status: res.status, fields: fields(res) }).toEqual({ occurredAt, status: 400, fields: ['occurredAt'] });
  }
  const edge = await call('POST', '/v1/alerts', { body: alert({ occurredAt: '0001-01-01T00:00:00Z' }) });
  expect(edge.status).toBe(202);
});

test('JSON nested too deeply answers 400 json_too_deep; a body over 1 MiB answers 413', async () => {
  const deep = await call('POST', '/v1/alerts', { body: `{"detail":${'['.repeat(100_000)}${']'.repeat(100_000)}}` });
  expect([deep.status, deep.body.error.code]).toEqual([400, 'json_too_deep']);
  let nested: unknown = 'leaf';
  for (let i = 0; i < 40; i += 1) nested = { n: nested };
  const deepDetail = await call('POST', '/v1/alerts', { body: alert({ detail: nested as Record<string, unknown> }) });
  expect(deepDetail.status).toBe(400);
  const large = await call('POST', '/v1/alerts', { body: alert({ detail: { blob: 'x'.repeat(1_100_000) } }) });
  expect([large.status, large.body.error.code]).toEqual([413, 'body_too_large']);
  const broken = await call('POST', '/v1/alerts', { body: '{"eventId":' });
  expect([broken.status, broken.body.error.code]).toEqual([400, 'invalid_json']);
  const notUtf8 = await sendRaw(port, rawRequest({ method: 'POST', target: '/v1/alerts', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d]) }));
  expect([notUtf8.status, JSON.parse(notUtf8.body).error.code]).toEqual([400, 'invalid_json']);
  await stillServing();
});

test('%00 in a path id answers 400 naming the parameter', async () => {
  for (const [path, field] of [
    ['/v1/alerts/%00/trace', 'path.eventId'],
    ['/v1/organizations/%00/seats', 'path.organizationId'],
    [`/v1/partners/${t.master.id}/alerts/evt%00/trace`, 'path.eventId'],
    [`/v1/psa-webhooks/${randomUUID().slice(0, 35)}%00`, 'path.connectionId'],
  ] as const) {
    const res = await call(path.startsWith('/v1/psa') ? 'POST' : 'GET', path, { user: t.master.users.owner, ...(path.startsWith('/v1/psa') ? { body: {} } : {}) });
    expect({ path, status: res.status, fields: fields(res) }).toEqual({ path, status: 400, fields: [field] });
  }
});

test('garbage posted to the codec endpoint with a valid token answers 400', async () => {
  const codec = (body: unknown) => call('POST', '/codec/decode', { body, headers: { authorization: `Bearer ${config.CODEC_AUTH_TOKEN}` } });
  const encrypted = Buffer.from('binary/encrypted').toString('base64');
  for (const body of [
    { payloads: [{ metadata: { encoding: encrypted }, data: randomBytes(64).toString('base64') }] },
    { payloads: [{ metadata: { encoding: encrypted }, data: '' }] },
    { payloads: [{ metadata: { encoding: 'not base64 !' }, data: 'AAAA' }] },
    { payloads: 'everything' },
    [1, 2, 3],
    '"payloads"',
  ]) {
    const res = await codec(body);
    expect({ body, status: res.status, code: res.body.error.code }).toEqual({ body, status: 400, code: 'invalid_input' });
  }
  const plain = await codec({ payloads: [{ metadata: { encoding: Buffer.from('json/plain').toString('base64') }, data: Buffer.from('{}').toString('base64') }] });
  expect(plain.status).toBe(200);
});

test('__proto__, constructor and prototype keys are refused in credentials and details', async () => {
  const path = integrationsPath(t.master.id, 'halopsa');
  const kit = vendorKits(stack).halopsa;
  const json = JSON.stringify({ credentials: kit.credentials() }).slice(0, -2);
  for (const key of ['__proto__', 'constructor', 'prototype']) {
    const res = await call('POST', `${path}/connect`, { user: t.master.users.owner, body: `${json},"${key}":{"isAdmin":true}}}` });
    expect({ key, status: res.status, fields: fields(res) }).toEqual({ key, status: 400, fields: [`credentials.${key}`] });
    const detail = await call('POST', '/v1/alerts', { body: `{"eventId":"evt-${randomUUID()}","organizationId":"${t.master.organizationIds[0]}","problem":"backup_failed","event":"raised","occurredAt":"${new Date().toISOString()}","detail":{"a":{"${key}":1}}}` });
    expect({ key, status: detail.status, fields: fields(detail) }).toEqual({ key, status: 400, fields: [`detail.a.${key}`] });
  }
  expect(await stack.db.selectFrom('connections').select('id').where('partnerId', '=', t.master.id).execute()).toEqual([]);
});

test('an upper-case UUID names the same partner, user and organization as its lower-case spelling', async () => {
  const tenants = await seedTenants(stack.db);
  const kit = vendorKits(stack).halopsa;
  const upper = tenants.master.id.toUpperCase();
  const owner = tenants.master.users.owner.toUpperCase();
  const connected = await call('POST', `${integrationsPath(upper, 'halopsa')}/connect`, { user: owner, body: { credentials: kit.credentials() } });
  expect(connected.status).toBe(201);
  const card = await call('GET', integrationsPath(tenants.master.id), { user: tenants.master.users.owner });
  expect(card.body.integrations.find((c: { psa: string }) => c.psa === 'halopsa').connected).toBe(true);
  expect((await stack.client.workflow.getHandle(integrationWorkflowId(tenants.master.id, 'halopsa')).describe()).status.name).toBe('RUNNING');
  // Revoked through one spelling, connected again through the other: one lifecycle, no `already_connected`.
  expect((await call('POST', `${integrationsPath(upper, 'halopsa')}/revoke`, { user: owner })).status).toBe(200);
  const again = await call('POST', `${integrationsPath(tenants.master.id, 'halopsa')}/connect`, { user: tenants.master.users.owner, body: { credentials: kit.credentials() } });
  expect([again.status, again.body.integration?.connected]).toEqual([201, true]);
  await expect(stack.client.workflow.getHandle(integrationWorkflowId(upper, 'halopsa')).describe()).rejects.toThrow();

  const org = tenants.master.organizationIds[0] as string;
  const receipt = await call('POST', '/v1/alerts', { body: alert({ organizationId: org.toUpperCase() }) });
  expect([receipt.status, receipt.body.organizationId, receipt.body.workflowId]).toEqual([202, org, serviceTicketWorkflowId(org, 'backup_failed')]);
  const seats = await call('GET', `/v1/organizations/${org.toUpperCase()}/seats`);
  expect([seats.status, seats.body.organizationId]).toEqual([200, org]);

  // The typed client uses ids as given, so it accepts only the canonical spelling.
  const client = createIntegrationsClient({ temporal: stack.client, db: stack.db, keys: stack.deps.keys, taskQueue: stack.taskQueue, psa: stack.psa });
  await expect(client.connect(upper, 'halopsa', kit.credentials(), tenants.master.users.owner)).rejects.toBeInstanceOf(InvalidInput);
});

test('bodies that are not JSON answer 415; unknown routes 404; other methods 405', async () => {
  for (const contentType of ['application/x-www-form-urlencoded', 'application/xml', 'multipart/form-data; boundary=x', 'application/json; charset=latin1']) {
    const res = await call('POST', '/v1/alerts', { body: JSON.stringify(alert()), headers: { 'content-type': contentType } });
    expect({ contentType, status: res.status, code: res.body.error.code }).toEqual({ contentType, status: 415, code: 'unsupported_media_type' });
  }
  const noType = await sendRaw(port, rawRequest({ method: 'POST', target: '/v1/alerts', headers: { authorization: `Bearer ${TOKEN}` }, body: JSON.stringify(alert()) }));
  expect(noType.status).toBe(415);
  expect((await call('GET', '/v1/nothing-here')).body.error.code).toBe('not_found');
  const method = await call('PATCH', '/v1/alerts');
  expect([method.status, method.body.error.code]).toEqual([405, 'method_not_allowed']);
  expect((await call('GET', `/v1/alerts/${percentEncode('évènement')}/trace`)).status).toBe(404);
});

test('an error inside a handler answers 500 without details and the server keeps serving', async () => {
  const { log, lines } = memoryLogger('boom');
  const server = new ApiServer({
    db: stack.db,
    platformTokens: [TOKEN],
    log,
    routes: [
      route({ method: 'GET', path: '/boom', summary: 'throws', auth: 'none', handler: async () => Promise.reject(new TypeError('secret detail')) }),
      route({ method: 'GET', path: '/fine', summary: 'answers', auth: 'none', handler: async () => ({ body: { ok: true } }) }),
    ],
  });
  const url = await server.listen(0);
  try {
    const boom = await fetch(`${url}/boom`);
    expect(boom.status).toBe(500);
    expect(await boom.json()).toEqual({ error: { code: 'internal', message: 'Internal error', remediation: ERRORS.internal.remediation } });
    expect(lines.some((l) => l.includes('secret detail'))).toBe(true);
    expect((await fetch(`${url}/fine`)).status).toBe(200);
  } finally {
    await server.close();
  }
});

test('/healthz answers 503 while PostgreSQL or Temporal is unreachable', async () => {
  const deadDb = createDb('postgres://postgres@127.0.0.1:1/nowhere', 1);
  // No gRPC retry interceptor: a retry timer still pending when the connection closes below would
  // throw "Channel has been shut down" into whichever test runs next.
  const deadTemporal = new Client({ connection: Connection.lazy({ address: '127.0.0.1:1', interceptors: [] }) });
  const cases = [
    { name: 'both up', db: stack.db, temporal: stack.client, status: 200, message: undefined },
    { name: 'PostgreSQL down', db: deadDb, temporal: stack.client, status: 503, message: 'PostgreSQL is unreachable' },
    { name: 'Temporal down', db: stack.db, temporal: deadTemporal, status: 503, message: 'Temporal is unreachable' },
  ];
  try {
    for (const c of cases) {
      const deps = { db: c.db, temporal: c.temporal, taskQueue: 'unused', keys: stack.deps.keys, config, psa: { urlPolicy: STRICT_URL_POLICY }, log: memoryLogger().log };
      const server = new ApiServer({ db: c.db, routes: systemRoutes(deps), platformTokens: config.API_TOKENS, log: deps.log });
      const url = await server.listen(0);
      const started = Date.now();
      const res = await fetch(`${url}/healthz`);
      const body = (await res.json()) as { error?: { code: string; message: string } };
      await server.close();
      expect({ name: c.name, status: res.status, message: body.error?.message }).toEqual({ name: c.name, status: c.status, message: c.message });
      expect(Date.now() - started).toBeLessThan(5000);
    }
  } finally {
    await deadDb.destroy();
    await deadTemporal.connection.close();
  }
});

test('a site URL the URL policy refuses answers url_not_allowed, and the PSA is never asked', async () => {
  const path = integrationsPath(t.direct.id, 'connectwise');
  const kit = vendorKits(stack).connectwise;
  for (const siteUrl of ['https://evil.example.com', 'https://api-na.myconnectwise.net.evil.example']) {
    const res = await call('POST', `${path}/connect`, { user: t.direct.users.owner, body: { credentials: { ...kit.credentials(), siteUrl } } });
    expect({ siteUrl, status: res.status, body: res.body }).toEqual({ siteUrl, status: 422, body: { error: expect.objectContaining({ code: 'url_not_allowed' }) } });
  }
  const halo = await call('POST', `${integrationsPath(t.direct.id, 'halopsa')}/connect`, { user: t.direct.users.owner, body: { credentials: { ...vendorKits(stack).halopsa.credentials(), siteUrl: 'https://halo.example.org' } } });
  expect([halo.status, halo.body.error.code]).toEqual([422, 'url_not_allowed']);
  expect(await stack.db.selectFrom('connections').select('id').where('partnerId', '=', t.direct.id).execute()).toEqual([]);
});

describe('TLS failures', () => {
  let site: UntrustedTlsSite;
  beforeAll(async () => {
    site = await startUntrustedTlsSite();
  });
  afterAll(async () => {
    await site?.close();
  });

  test('a connect to a site whose certificate does not verify fails within seconds with tls_failed', async () => {
    const tenants = await seedTenants(stack.db, { organizationsPerPartner: 1 });
    const kits = vendorKits(stack);
    for (const [psa, credentials] of [
      ['connectwise', { ...kits.connectwise.credentials(), siteUrl: site.host }],
      ['halopsa', { ...kits.halopsa.credentials(), siteUrl: site.url }],
    ] as const) {
      const started = Date.now();
      const res = await call('POST', `${integrationsPath(tenants.master.id, psa)}/connect`, { user: tenants.master.users.owner, body: { credentials } });
      const ms = Date.now() - started;
      expect({ psa, status: res.status, code: res.body.error.code }).toEqual({ psa, status: 422, code: 'tls_failed' });
      expect(res.body.error.message).toMatch(/^TLS with localhost failed: the certificate is self-signed/);
      expect(ms).toBeLessThan(10_000);
    }
    expect(site.requests).toBe(0);
    expect(await stack.db.selectFrom('connections').select('id').where('partnerId', '=', tenants.master.id).execute()).toEqual([]);
  });
});

describe('ConnectWise callbacks', () => {
  let tenants: SeededTenants;
  let connectionId: string;
  const keyFetches = () => stack.sims.connectwise.server.log.filter((e) => e.path.includes('callbackkey')).length;
  const keyUrl = (id = stack.sims.connectwise.state.data.currentKeyId) => `${stack.sims.connectwise.url}/${stack.sims.connectwise.state.data.codebase}system/callbackkey/index.rails?id=${id}`;
  const delivery = (overrides: { keyUrl?: string; companyId?: string } = {}) =>
    JSON.stringify({
      MessageId: randomUUID(),
      CompanyId: overrides.companyId ?? CW.companyId,
      Action: 'updated',
      Type: 'ticket',
      ID: 424242,
      Entity: JSON.stringify({ closedFlag: false }),
      Metadata: { key_url: overrides.keyUrl ?? keyUrl() },
    });
  const post = (body: string, signature?: string, baseUrl = stack.apiUrl) =>
    fetch(`${baseUrl}/v1/psa-webhooks/${connectionId}`, { method: 'POST', headers: { 'content-type': 'application/json', ...(signature ? { 'x-content-signature': signature } : {}) }, body }).then(
      async (r) => ({ status: r.status, body: (await r.json()) as any }),
    );
  const realKey = () => stack.sims.connectwise.state.data.signingKeys.get(stack.sims.connectwise.state.data.currentKeyId) as string;

  beforeAll(async () => {
    tenants = await seedTenants(stack.db, { organizationsPerPartner: 1 });
    const res = await call('POST', `${integrationsPath(tenants.master.id, 'connectwise')}/connect`, { user: tenants.master.users.owner, body: { credentials: vendorKits(stack).connectwise.credentials() } });
    expect(res.status).toBe(201);
    connectionId = res.body.connectionId;
  });

  test('a genuine delivery is accepted; a missing or bad signature answers 401, not 502', async () => {
    const body = delivery();
    expect((await post(body, connectWiseSignature(body, realKey()).toString('base64'))).status).toBe(200);
    const before = keyFetches();
    expect((await post(body)).status).toBe(401);
    expect((await post(body, 'not-a-signature')).status).toBe(401);
    expect((await post(body, randomBytes(32).toString('base64'))).status).toBe(401);
    // The key is known from the genuine delivery: forged signatures cost no outbound call.
    expect(keyFetches()).toBe(before);
  });

  test('key_url is fetched only on the documented key path of the connection\'s own site', async () => {
    const before = keyFetches();
    const site = stack.sims.connectwise.url;
    for (const url of [`${site}/v4_6_release/apis/3.0/system/members`, `${site}/v4_6_release/system/callbackkey/index.rails?id=key-1&x=1`, `${site}/system/callbackkey/index.rails?id=key-1`, 'https://169.254.169.254/latest/meta-data', `${site}/${stack.sims.connectwise.state.data.codebase}system/callbackkey/index.rails?id=../x`]) {
      const body = delivery({ keyUrl: url });
      const res = await post(body, randomBytes(32).toString('base64'));
      expect({ url, status: res.status }).toEqual({ url, status: 401 });
    }
    expect(keyFetches()).toBe(before);
    // A key id ConnectWise does not know: fetched once, refused (401, not 502), and not asked again.
    const unknown = delivery({ keyUrl: keyUrl('no-such-key') });
    expect((await post(unknown, randomBytes(32).toString('base64'))).status).toBe(401);
    expect((await post(unknown, randomBytes(32).toString('base64'))).status).toBe(401);
    expect(keyFetches()).toBe(before + 1);
  });

  test("the connection's site is checked against today's URL policy before its key is fetched", async () => {
    // The connection was made while loopback sites were allowed; an API running today's strict policy refuses to call it.
    const strictPsa = { ...stack.psa, urlPolicy: STRICT_URL_POLICY };
    const db = testDb();
    const server = new ApiServer({ db, routes: buildRoutes({ db, temporal: stack.client, taskQueue: stack.taskQueue, keys: stack.deps.keys, config, psa: strictPsa, log: memoryLogger().log }), platformTokens: config.API_TOKENS, log: memoryLogger().log });
    const url = await server.listen(0);
    try {
      const before = keyFetches();
      const body = delivery({ keyUrl: keyUrl('rotated-key') });
      const res = await post(body, randomBytes(32).toString('base64'), url);
      expect([res.status, res.body.error.code]).toEqual([422, 'url_not_allowed']);
      expect(keyFetches()).toBe(before);
    } finally {
      await server.close();
      await db.destroy();
    }
  });
});
