/**
 * Every way ConnectWise authentication fails, every error class mapErrors produces, and the
 * guarantee that credentials never reach an error message or stack.
 */
import http from 'node:http';
import https from 'node:https';
import { mapConnectWiseError } from '../../../../psa/connectwise';
import {
  PsaAuthError,
  PsaConfigError,
  PsaError,
  PsaNotFoundError,
  PsaPermissionError,
  PsaRateLimitedError,
  PsaUnavailableError,
  PsaValidationError,
} from '../../../../psa/core/errors';
import type { HttpRequest, HttpResponse } from '../../../../psa/core/http';
import { createConnectWiseHarness } from '../harness/connectwise';

const h = createConnectWiseHarness();
beforeAll(() => h.start());
afterAll(() => h.stop());
beforeEach(() => h.sim.reset());

const errorOf = (p: Promise<unknown>) => p.then(() => null, (e: unknown) => e);

describe('authentication failures against the simulator', () => {
  it('a wrong private key is PsaAuthError, not a disabled account', async () => {
    const err = await errorOf((await h.badCredentialsAdapter()).testConnection());
    expect(err).toBeInstanceOf(PsaAuthError);
    expect(err).toMatchObject({ accountDisabled: false, status: 401, retryable: false });
    expect((err as Error).message).toMatch(/UserNotAuthenticated/);
  });

  it('a wrong public key is PsaAuthError', async () => {
    const a = await h.adapterWith({ publicKey: 'someoneElsesKey' }, { key: 'pub' });
    expect(await errorOf(a.getQuantity(h.fixtures.organization))).toBeInstanceOf(PsaAuthError);
  });

  it('an unknown company id fails codebase discovery as PsaAuthError naming the company id', async () => {
    const a = await h.adapterWith({ companyId: 'fabrikam' }, { key: 'company' });
    const err = await errorOf(a.testConnection());
    expect(err).toBeInstanceOf(PsaAuthError);
    expect((err as Error).message).toMatch(/company id "fabrikam"/);
  });

  it('keys presented under another company id are refused even when the codebase is known', async () => {
    // Credentials of our tenant with a different company in the Basic user name are refused.
    const a = await h.adapterWith({ companyId: 'fabrikam', codebase: 'v2025_1/' }, { key: 'company-basic' });
    const err = await errorOf(a.getQuantity(h.fixtures.organization));
    expect(err).toBeInstanceOf(PsaAuthError);
  });

  it('an inactive API member sets accountDisabled', async () => {
    h.lockApiUser();
    const err = await errorOf((await h.adapter({ key: 'locked' })).testConnection());
    expect(err).toBeInstanceOf(PsaAuthError);
    expect((err as PsaAuthError).accountDisabled).toBe(true);
    h.unlockApiUser();
    await expect((await h.adapter({ key: 'locked' })).testConnection()).resolves.toMatchObject({ accountName: 'Contoso IT Services' });
  });

  it('an unregistered clientId is our configuration problem, not the partner\'s credentials', async () => {
    const a = await h.adapterWith({ clientId: '00000000-0000-4000-8000-000000000000' }, { key: 'client' });
    const err = await errorOf(a.testConnection());
    expect(err).toBeInstanceOf(PsaConfigError);
    expect((err as Error).message).toMatch(/clientId/);
  });

  it('a missing security-role right is PsaPermissionError naming the module', async () => {
    h.revokeCapability('companies');
    const a = await h.adapter({ key: 'perm' });
    const err = await errorOf(a.options('organization', 'company'));
    expect(err).toBeInstanceOf(PsaPermissionError);
    expect((err as Error).message).toMatch(/Companies > Company Maintenance \(Inquire\)/);
  });

  it('closing needs Close Service Tickets even with Service Tickets edit', async () => {
    const a = await h.adapter({ key: 'close-right' });
    const t = await a.createTicket({ marker: 'close-right', title: 't', description: 'd', organization: h.fixtures.organization, ticketMapping: h.fixtures.ticketMapping });
    h.cw.state.revokeRight('Service Desk > Close Service Tickets');
    expect(await errorOf(a.closeTicket(t.id, '15', 'done'))).toBeInstanceOf(PsaPermissionError);
    expect(h.cw.state.ticket(Number(t.id)).closedFlag).toBe(false);
  });
});

describe('plain HTTP is refused', () => {
  it('the simulator answers plain HTTP with ConnectWise\'s "SSL is required." and mapError makes it a config error', async () => {
    const res = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      http.get(`${h.cw.plainHttpUrl}/v2025_1/apis/3.0/system/info`, (r) => {
        let body = '';
        r.on('data', (c) => (body += c));
        r.on('end', () => resolve({ status: r.statusCode ?? 0, body }));
      }).on('error', reject);
    });
    expect(res.status).toBe(403);
    const parsed: unknown = JSON.parse(res.body);
    expect(parsed).toEqual({ code: 'Security', message: 'SSL is required.', errors: null });
    const mapped = mapConnectWiseError({ status: res.status, headers: {}, body: parsed }, { method: 'GET', url: '/system/info' });
    expect(mapped).toBeInstanceOf(PsaConfigError);
  });

  it('plain HTTP sent to the TLS port gets no data', async () => {
    const outcome = await new Promise<string>((resolve) => {
      http
        .get(`http://${h.cw.host}/v2025_1/apis/3.0/system/info`, (r) => {
          r.resume();
          resolve(`status ${r.statusCode}`);
        })
        .on('error', () => resolve('refused'));
    });
    expect(outcome === 'refused' || outcome === 'status 400').toBe(true);
  });

  it('TLS without trusting the test CA fails, so the CA is really in use', async () => {
    const outcome = await new Promise<string>((resolve) => {
      https.get(`${h.cw.url}/login/companyinfo/contoso`, (r) => resolve(`status ${r.statusCode}`)).on('error', (e) => resolve(e.message));
    });
    expect(outcome).toMatch(/certificate/i);
  });
});

describe('mapConnectWiseError', () => {
  const req: HttpRequest = { method: 'POST', url: '/v2025_1/apis/3.0/service/tickets' };
  const map = (status: number, body: unknown, headers: HttpResponse['headers'] = {}) => mapConnectWiseError({ status, headers, body }, req);

  it.each<[number, unknown, new (...a: never[]) => PsaError]>([
    [400, { code: 'InvalidObject', message: 'ticket object is invalid', errors: [{ code: 'InvalidField', message: 'The summary field is required.', field: 'summary' }] }, PsaValidationError],
    [401, { code: 'ConnectWiseApi', message: 'UserNotAuthenticated' }, PsaAuthError],
    [401, { code: 'Unauthorized', message: 'Member PsaSyncApi is inactive.' }, PsaAuthError],
    [401, { code: 'Unauthorized', message: 'A valid clientId header is required.' }, PsaConfigError],
    [403, { code: 'Forbidden', message: 'You do not have access' }, PsaPermissionError],
    [404, { code: 'NotFound', message: 'Ticket with id 9 was not found.' }, PsaNotFoundError],
    [405, 'Method Not Allowed', PsaValidationError],
    [409, { code: 'InvalidObject', errors: [{ code: 'ObjectExists', message: 'Company ID already in use.', field: 'identifier' }] }, PsaValidationError],
    [415, { code: 'UnsupportedMediaType', message: 'Content-Type must be application/json' }, PsaValidationError],
    [429, { error: 'ConnectWiseAPI', message: 'Too many requests. Please try again in 30 seconds.' }, PsaRateLimitedError],
    [500, { code: 'UnexpectedServerError', message: 'An unexpected error occurred' }, PsaUnavailableError],
    [502, '<html>Bad gateway</html>', PsaUnavailableError],
    [503, { message: 'Service Unavailable' }, PsaUnavailableError],
  ])('%s %j → %p', (status, body, cls) => {
    expect(map(status, body, status === 429 ? { 'retry-after': '30' } : {})).toBeInstanceOf(cls);
  });

  it('keeps the vendor field messages as details', () => {
    const err = map(409, { code: 'InvalidObject', errors: [{ code: 'ObjectExists', message: 'Company ID already in use.', field: 'identifier' }] });
    expect((err as PsaValidationError).details).toEqual(['identifier: Company ID already in use.']);
  });

  it('flags only inactive/locked members as disabled', () => {
    expect((map(401, { code: 'Unauthorized', message: 'Member PsaSyncApi is inactive.' }) as PsaAuthError).accountDisabled).toBe(true);
    expect((map(401, { code: 'ConnectWiseApi', message: 'UserNotAuthenticated' }) as PsaAuthError).accountDisabled).toBe(false);
  });

  it('reads Retry-After from a 429', () => {
    expect((map(429, { error: 'ConnectWiseAPI', message: 'slow down' }, { 'retry-after': '30' }) as PsaRateLimitedError).retryAfterMs).toBe(30_000);
  });

  it('a condition syntax error from the simulator is a validation error with the syntax help', async () => {
    const a = await h.adapter({ key: 'cond' });
    const err = await errorOf(a.findTicketByMarker('a"b'));
    // Quotes are escaped, so this is a valid search that finds nothing.
    expect(err).toBeNull();
    const res = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const auth = Buffer.from('contoso+pubKeyContoso01:privKeyContosoSecret01').toString('base64');
      https
        .get(`${h.cw.url}/v2025_1/apis/3.0/service/tickets?conditions=${encodeURIComponent('summary = unquoted')}`, { ca: h.cw.ca, headers: { authorization: `Basic ${auth}`, clientid: '3f2a9c4e-1b7d-4e8a-9c2f-5d6e7f8a9b0c' } }, (r) => {
          let body = '';
          r.on('data', (c) => (body += c));
          r.on('end', () => resolve({ status: r.statusCode ?? 0, body }));
        })
        .on('error', reject);
    });
    expect(res.status).toBe(400);
    const mapped = mapConnectWiseError({ status: res.status, headers: {}, body: JSON.parse(res.body) }, { method: 'GET', url: '/service/tickets' });
    expect(mapped).toBeInstanceOf(PsaValidationError);
    expect(mapped.message).toMatch(/strings must be in double quotes/);
  });
});

describe('secrets never appear in errors', () => {
  const SENTINEL = 'Sentinel-Private-Key-7f3a91';

  it('no error message, stack or detail carries the private key or the Basic header', async () => {
    const basic = Buffer.from(`contoso+pubKeyContoso01:${SENTINEL}`).toString('base64');
    const a = await h.adapterWith({ privateKey: SENTINEL }, { key: 'sentinel' });
    const errors: unknown[] = [];
    errors.push(await errorOf(a.testConnection()));
    errors.push(await errorOf(a.options('organization', 'company')));
    errors.push(await errorOf(a.createTicket({ marker: SENTINEL, title: SENTINEL, description: SENTINEL, organization: h.fixtures.organization, ticketMapping: h.fixtures.ticketMapping })));
    h.sim.addFault({ kind: 'drop', times: 5 });
    errors.push(await errorOf(a.getQuantity(h.fixtures.organization)));
    h.sim.clearFaults();
    h.sim.addFault({ kind: 'status', status: 500, body: { code: 'UnexpectedServerError', message: 'boom' } });
    errors.push(await errorOf(a.setQuantity(h.fixtures.organization, 3)));
    h.sim.clearFaults();
    const good = await h.adapter({ key: 'sentinel-good' });
    errors.push(await errorOf(good.createTicket({ marker: 'x'.repeat(101), title: 't', description: 'd', organization: h.fixtures.organization, ticketMapping: h.fixtures.ticketMapping })));
    errors.push(await errorOf(good.getTicket('42424242')));
    expect(errors.every((e) => e instanceof PsaError)).toBe(true);
    for (const e of errors as PsaError[]) {
      const text = [e.message, e.stack ?? '', JSON.stringify(e), e instanceof PsaValidationError ? e.details.join(' ') : ''].join('\n');
      expect(text).not.toContain(SENTINEL);
      expect(text).not.toContain(basic);
      expect(text).not.toContain('privKeyContosoSecret01');
    }
  });
});
