import { randomUUID } from 'node:crypto';
import {
  PsaAuthError,
  PsaNotFoundError,
  PsaPermissionError,
  PsaRateLimitedError,
  PsaUnavailableError,
  PsaValidationError,
} from '../../../../psa/core/errors';
import type { HttpRequest } from '../../../../psa/core/http';
import { halopsaFactory } from '../../../../psa/halopsa';
import { createHaloErrorMapper, vendorMessages } from '../../../../psa/halopsa/errors';
import { SEED_CREDENTIALS, SEED_FIXTURES } from '../../../../sims/halopsa';
import { LOOPBACK_POLICY } from '../harness/halopsa';
import { apiCalls, caught, useHalo } from './helpers';

const get: HttpRequest = { method: 'GET', url: 'api/Tickets/5' };
const token: HttpRequest = { method: 'POST', url: 'auth/token' };
const map = createHaloErrorMapper(() => ['S3NT1NEL-secret']);
const res = (status: number, body: unknown, headers: Record<string, string> = {}) => ({ status, headers, body });

describe('HaloPSA error shapes', () => {
  it.each([
    ['plain string', 'An Outcome must be entered for this Action', ['An Outcome must be entered for this Action']],
    ['quoted JSON string', '"Invalid Ticket Type"', ['Invalid Ticket Type']],
    ['model state', { '[0].summary': 'A Summary must be entered', '[0].client_id': ['Pick a customer'] }, ['A Summary must be entered', 'Pick a customer']],
    ['errors array', { errors: ['Customer 9 does not exist', 'Second'] }, ['Customer 9 does not exist', 'Second']],
    ['.NET exception', { ClassName: 'System.Exception', Message: 'Invalid licence count' }, ['Invalid licence count']],
    ['OAuth', { error: 'invalid_client' }, ['invalid_client']],
    ['OAuth with description', { error: 'unauthorized_client', error_description: 'This application is disabled' }, ['This application is disabled']],
    ['empty', '', []],
  ])('%s', (_label, body, expected) => {
    expect(vendorMessages(body)).toEqual(expected);
  });

  it('maps every status class to its typed error', () => {
    expect(map(res(400, { errors: ['bad'] }), get)).toBeInstanceOf(PsaValidationError);
    expect((map(res(400, { errors: ['bad'] }), get) as PsaValidationError).details).toEqual(['bad']);
    expect(map(res(409, 'conflict'), get)).toBeInstanceOf(PsaValidationError);
    expect(map(res(401, ''), get)).toBeInstanceOf(PsaAuthError);
    expect(map(res(403, { message: 'no' }), get)).toBeInstanceOf(PsaPermissionError);
    expect(map(res(404, 'Ticket 5 not found'), get)).toBeInstanceOf(PsaNotFoundError);
    expect(map(res(500, 'boom'), get)).toBeInstanceOf(PsaUnavailableError);
    expect(map(res(503, ''), get)).toBeInstanceOf(PsaUnavailableError);
    const limited = map(res(429, 'Rate Limit Reached - 300 Requests per rolling 5 minute window', { 'retry-after': '7' }), get);
    expect(limited).toBeInstanceOf(PsaRateLimitedError);
    expect((limited as PsaRateLimitedError).retryAfterMs).toBe(7000);
    expect((map(res(429, 'Rate Limit Reached'), get) as PsaRateLimitedError).retryAfterMs).toBe(1000);
  });

  it('token endpoint: invalid_client is bad credentials, disabled wording is a disabled account', () => {
    const bad = map(res(400, { error: 'invalid_client' }), token) as PsaAuthError;
    expect(bad).toBeInstanceOf(PsaAuthError);
    expect(bad.accountDisabled).toBe(false);
    const disabled = map(res(400, { error: 'unauthorized_client', error_description: 'This application is disabled' }), token) as PsaAuthError;
    expect(disabled.accountDisabled).toBe(true);
    const inactive = map(res(400, { error: 'invalid_grant', error_description: 'The agent account is inactive' }), token) as PsaAuthError;
    expect(inactive.accountDisabled).toBe(true);
  });

  it('redacts known secrets from vendor messages', () => {
    const err = map(res(400, 'client_secret S3NT1NEL-secret is wrong'), get) as PsaValidationError;
    expect(err.message).not.toContain('S3NT1NEL-secret');
    expect(err.details.join(' ')).not.toContain('S3NT1NEL-secret');
  });
});

describe('HaloPSA errors against the simulator', () => {
  const h = useHalo();
  beforeEach(() => {
    h.sim.reset();
    for (const right of ['tickets', 'customers', 'softwarelicensing', 'suppliers'] as const) h.halo.state.setRight(right, true);
  });

  it('a missing role right is PsaPermissionError on use and reported by probePermissions', async () => {
    const adapter = await h.adapter({ key: 'perm' });
    expect(await adapter.probePermissions()).toEqual({ granted: ['tickets', 'companies', 'billing', 'catalog'], missing: [], limited: [] });
    h.revokeCapability('billing');
    h.revokeCapability('catalog');
    await expect(adapter.getQuantity(SEED_FIXTURES.organization)).rejects.toBeInstanceOf(PsaPermissionError);
    const report = await adapter.probePermissions();
    expect(report.granted).toEqual(['tickets', 'companies']);
    expect(report.missing.map((m) => m.capability)).toEqual(['billing', 'catalog']);
    expect(report.missing[0]?.detail).toMatch(/Software Licensing Access Level.*Read and Modify/);
    expect(report.missing[1]?.detail).toMatch(/Suppliers Access Level/);
  });

  it('probePermissions still throws for bad credentials', async () => {
    await expect((await h.badCredentialsAdapter()).probePermissions()).rejects.toBeInstanceOf(PsaAuthError);
  });

  it('5xx on a read is retried; on a create it is not (the outcome is unknown)', async () => {
    const adapter = await h.adapter({ key: 'fivexx' });
    await adapter.testConnection();
    h.sim.reset();
    h.sim.addFault({ kind: 'status', status: 503, path: '/api/SLA', times: 2 });
    expect((await adapter.options('ticket', 'sla')).items).toHaveLength(3);
    expect(h.sim.log.map((e) => e.status)).toEqual([503, 503, 200]);

    h.sim.reset();
    h.sim.addFault({ kind: 'status', status: 500, method: 'POST', path: '/api/Tickets', body: 'Object reference not set to an instance of an object.' });
    const err = await caught(
      adapter.createTicket({ marker: `m-${randomUUID()}`, title: 't', description: 'd', organization: SEED_FIXTURES.organization, ticketMapping: SEED_FIXTURES.ticketMapping }),
    );
    expect(err).toBeInstanceOf(PsaUnavailableError);
    expect(apiCalls(h.sim.log)).toEqual(['POST /api/tickets']);
  });

  it('a dropped connection after the write is PsaUnavailableError and find-by-marker adopts the ticket', async () => {
    const adapter = await h.adapter({ key: 'drop' });
    const marker = `m-${randomUUID()}`;
    h.sim.addFault({ kind: 'commit_then_drop', method: 'POST', path: '/api/Tickets', times: 1 });
    const d = { marker, title: 't', description: 'd', organization: SEED_FIXTURES.organization, ticketMapping: SEED_FIXTURES.ticketMapping };
    await expect(adapter.createTicket(d)).rejects.toBeInstanceOf(PsaUnavailableError);
    expect(h.ticketsWithMarker(marker)).toBe(1);
    expect((await adapter.findTicketByMarker(marker))?.marker).toBe(marker);
  });

  it('secrets never appear in any error message or stack', async () => {
    const sentinel = `SENTINEL-${randomUUID()}`;
    const errors: Error[] = [];
    const wrong = await halopsaFactory.create(
      { siteUrl: h.halo.url, clientId: SEED_CREDENTIALS.clientId, clientSecret: sentinel },
      { connectionKey: 'sentinel', urlPolicy: LOOPBACK_POLICY },
    );
    errors.push(await caught(wrong.testConnection()));
    errors.push(await caught(wrong.probePermissions()));
    // A valid adapter hitting every error class, with the sentinel in the things we send.
    const adapter = await h.adapter({ key: 'sentinel-ok' });
    h.sim.addFault({ kind: 'status', status: 500, path: '/api/Client', body: 'boom' });
    errors.push(await caught(adapter.options('organization', 'customer', { search: 'x' })));
    h.sim.clearFaults();
    errors.push(await caught(adapter.createTicket({ marker: sentinel, title: ' ', description: sentinel, organization: SEED_FIXTURES.organization, ticketMapping: SEED_FIXTURES.ticketMapping })));
    errors.push(await caught(adapter.subscribeTicketEvents('not a url', sentinel)));
    errors.push(await caught(adapter.getTicket('123456')));
    h.lockApiUser();
    h.halo.state.expireAllTokens();
    errors.push(await caught(adapter.getQuantity(SEED_FIXTURES.organization)));
    h.unlockApiUser();
    expect(errors.map((e) => e.constructor.name)).toEqual([
      'PsaAuthError',
      'PsaAuthError',
      'PsaUnavailableError',
      'PsaValidationError',
      'PsaValidationError',
      'PsaNotFoundError',
      'PsaAuthError',
    ]);
    for (const e of errors) {
      const text = `${e.message}\n${e.stack ?? ''}\n${JSON.stringify(e)}`;
      expect(text).not.toContain(sentinel);
      expect(text).not.toContain(SEED_CREDENTIALS.clientSecret);
    }
  });
});
