/** Autotask error mapping: every vendor answer becomes one typed PsaError, with the vendor's own messages kept. */
import { randomUUID } from 'node:crypto';
import { mapAutotaskError } from '../../../../psa/autotask';
import {
  PsaAuthError,
  PsaNotFoundError,
  PsaPermissionError,
  PsaRateLimitedError,
  PsaUnavailableError,
  PsaValidationError,
} from '../../../../psa/core/errors';
import type { HttpRequest } from '../../../../psa/core/http';
import { SEED_FIXTURES } from '../../../../sims/autotask';
import { apiCalls, caught, useAutotaskSim } from './helpers';

const at = useAutotaskSim();
const req: HttpRequest = { method: 'POST', url: 'http://zone.example/ATServicesRest/V1.0/Tickets' };
const answer = (status: number, body: unknown, headers: Record<string, string> = {}) => mapAutotaskError({ status, headers, body }, req);

describe('mapAutotaskError', () => {
  test.each([
    [401, { errors: ['Authentication failed.'] }, PsaAuthError],
    [500, { errors: ['IntegrationCode is invalid.'] }, PsaAuthError],
    [500, { errors: ['Zone information could not be determined'] }, PsaAuthError],
    [403, { errors: ['Access denied.'] }, PsaPermissionError],
    [404, { errors: ['No such entity.'] }, PsaNotFoundError],
    [429, { errors: ['Thread limit exceeded.'] }, PsaRateLimitedError],
    [500, { errors: ['Missing Required Field: title'] }, PsaValidationError],
    [400, 'Bad Request', PsaValidationError],
    [405, { errors: ['Method not allowed.'] }, PsaValidationError],
    [500, '', PsaUnavailableError],
    [502, '<html>Bad gateway</html>', PsaUnavailableError],
    [503, { errors: ['Service Unavailable'] }, PsaUnavailableError],
  ])('%i %j → %p', (status, body, type) => {
    const err = answer(status, body);
    expect(err).toBeInstanceOf(type);
    expect(err.status).toBe(status);
  });

  test('locked or inactive users are accountDisabled; a wrong secret is not', () => {
    expect((answer(401, { errors: ['The API user account is locked.'] }) as PsaAuthError).accountDisabled).toBe(true);
    expect((answer(401, { errors: ['User is inactive'] }) as PsaAuthError).accountDisabled).toBe(true);
    expect((answer(401, { errors: ['Authentication failed: user name or secret is not valid.'] }) as PsaAuthError).accountDisabled).toBe(false);
  });

  test('validation errors keep every vendor message; 429 carries Retry-After', () => {
    const v = answer(500, { errors: ['Missing Required Field: title', 'Missing Required Field: status'] }) as PsaValidationError;
    expect(v.details).toEqual(['Missing Required Field: title', 'Missing Required Field: status']);
    expect(v.message).toContain('Missing Required Field: title');
    expect((answer(429, {}, { 'retry-after': '7' }) as PsaRateLimitedError).retryAfterMs).toBe(7000);
  });
});

describe('against the simulator', () => {
  test('a revoked right is PsaPermissionError (403), and probePermissions names the Autotask right', async () => {
    const adapter = await at.adapter();
    at.sim.state.revokeRight('contracts');
    try {
      await expect(adapter.getQuantity(SEED_FIXTURES.organization)).rejects.toBeInstanceOf(PsaPermissionError);
      const report = await adapter.probePermissions();
      expect(report.granted.sort()).toEqual(['catalog', 'companies', 'tickets']);
      expect(report.missing).toEqual([{ capability: 'billing', detail: expect.stringMatching(/Contracts .*View = All/) }]);
    } finally {
      at.sim.state.restoreRights();
    }
    expect((await adapter.probePermissions()).missing).toEqual([]);
  });

  test('a missing ticket is PsaNotFoundError; so is a deleted contract service', async () => {
    const adapter = await at.adapter();
    await expect(adapter.getTicket('987654321')).rejects.toBeInstanceOf(PsaNotFoundError);
    at.sim.state.deleteContractService(Number(SEED_FIXTURES.organization.contractService));
    try {
      await expect(adapter.getQuantity(SEED_FIXTURES.organization)).rejects.toBeInstanceOf(PsaNotFoundError);
    } finally {
      at.sim.state.reset();
    }
  });

  test('a refused ticket is PsaValidationError with Autotask\'s messages as details', async () => {
    const adapter = await at.adapter();
    const err = await caught(
      adapter.createTicket({ marker: `m-${randomUUID()}`, title: 't', description: 'd', organization: SEED_FIXTURES.organization, ticketMapping: { ...SEED_FIXTURES.ticketMapping, priority: '999', queue: '9' } }),
    );
    expect(err).toBeInstanceOf(PsaValidationError);
    expect((err as PsaValidationError).details).toEqual(
      expect.arrayContaining([expect.stringMatching(/not a valid picklist value for field priority/), expect.stringMatching(/not a valid picklist value for field queueID/)]),
    );
  });

  test('the adapter refuses an incomplete mapping or a negative quantity without calling Autotask', async () => {
    const adapter = await at.adapter();
    at.sim.server.log.length = 0;
    const { sla: _sla, ...withoutSla } = SEED_FIXTURES.ticketMapping;
    const err = await caught(adapter.createTicket({ marker: 'm', title: 't', description: 'd', organization: SEED_FIXTURES.organization, ticketMapping: withoutSla }));
    expect(err).toBeInstanceOf(PsaValidationError);
    expect((err as PsaValidationError).details).toEqual(['sla is required']);
    await expect(adapter.setQuantity(SEED_FIXTURES.organization, -1)).rejects.toBeInstanceOf(PsaValidationError);
    await expect(adapter.options('ticket', 'board')).rejects.toBeInstanceOf(PsaNotFoundError);
    expect(apiCalls(at.sim.server.log)).toEqual([]);
  });

  test('ContractServiceAdjustments are create-only: querying them is a 405', async () => {
    const res = await at.raw('POST', 'ContractServiceAdjustments/query', { Filter: [{ op: 'gte', field: 'id', value: 0 }] });
    expect(res.status).toBe(405);
    expect(res.json).toEqual({ errors: [expect.stringMatching(/only be created/)] });
  });

  test('a 5xx on a create is PsaUnavailableError (not retried); a long 429 is PsaRateLimitedError with its delay', async () => {
    const adapter = await at.adapter();
    at.sim.server.addFault({ kind: 'status', status: 503, method: 'POST', path: '/tickets$', times: 1 });
    const before = at.sim.state.tickets.size;
    await expect(
      adapter.createTicket({ marker: `m-${randomUUID()}`, title: 't', description: 'd', organization: SEED_FIXTURES.organization, ticketMapping: SEED_FIXTURES.ticketMapping }),
    ).rejects.toBeInstanceOf(PsaUnavailableError);
    expect(at.sim.server.log.filter((l) => l.method === 'POST' && /\/tickets$/i.test(l.path))).toHaveLength(1);
    expect(at.sim.state.tickets.size).toBe(before);
    const fresh = await at.adapter();
    at.sim.server.addFault({ kind: 'rate_limit', retryAfterSec: 7200, times: 1 });
    const limited = await caught(fresh.getQuantity(SEED_FIXTURES.organization));
    expect(limited).toBeInstanceOf(PsaRateLimitedError);
    expect((limited as PsaRateLimitedError).retryAfterMs).toBe(7_200_000);
  });

  test('a dropped connection on a read is retried; on a write it surfaces as PsaUnavailableError', async () => {
    const adapter = await at.adapter();
    at.sim.server.addFault({ kind: 'drop', method: 'POST', path: 'contractserviceunits', times: 1 });
    await expect(adapter.getQuantity(SEED_FIXTURES.organization)).resolves.toBe(SEED_FIXTURES.initialQuantity);
    at.sim.server.addFault({ kind: 'drop', method: 'POST', path: '/notes$', times: 1 });
    const ticket = await adapter.createTicket({ marker: `m-${randomUUID()}`, title: 't', description: 'd', organization: SEED_FIXTURES.organization, ticketMapping: SEED_FIXTURES.ticketMapping });
    await expect(adapter.addTicketNote(ticket.id, 'note')).rejects.toBeInstanceOf(PsaUnavailableError);
  });
});
