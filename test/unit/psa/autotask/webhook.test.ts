/** Autotask ticket webhooks: the subscription the adapter creates, signed deliveries, and the verifier. */
import { createHmac, randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { autotaskEscapedForm, verifyAutotaskWebhook } from '../../../../psa/autotask';
import { PsaAuthError, PsaValidationError } from '../../../../psa/core/errors';
import { escapeForSignature, SEED_FIXTURES, signWebhookBody, signWebhookDelivery } from '../../../../sims/autotask';
import { apiCalls, AUTH_HEADERS, useAutotaskSim } from './helpers';

const at = useAutotaskSim();
const SECRET = 'webhook-secret-key';
const payload = (fields: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ Action: 'Update', Guid: randomUUID(), EntityType: 'Ticket', Id: 351181, Fields: fields, EventTime: '2025-09-15T14:57:50Z', SequenceNumber: 1, PersonID: 30691780, ...extra });

describe('verifyAutotaskWebhook', () => {
  test('accepts the documented header over the raw body and reports a Complete status as closed', () => {
    const body = payload({ TicketNumber: 'T20250915.0001', Status: '5' });
    const event = verifyAutotaskWebhook(body, { 'x-hook-signature': signWebhookBody(SECRET, body) }, SECRET);
    expect(event).toEqual({ ticketId: '351181', statusId: '5', action: 'update', closed: true });
    const open = payload({ Status: '8' });
    const update = verifyAutotaskWebhook(open, { 'X-Hook-Signature': signWebhookBody(SECRET, open) }, SECRET);
    expect(update).toEqual({ ticketId: '351181', statusId: '8', action: 'update' });
  });

  test('accepts a signature over the \\uXXXX-escaped form, in either hex case', () => {
    const body = payload({ Title: 'R&D <backup> it\'s "late" + café ✓ 😀', Status: '5' });
    for (const form of [autotaskEscapedForm(body, 'upper'), autotaskEscapedForm(body, 'lower')]) {
      expect(form).not.toBe(body);
      const sig = `sha1=${createHmac('sha1', SECRET).update(form, 'utf8').digest('base64')}`;
      expect(verifyAutotaskWebhook(body, { 'x-hook-signature': sig }, SECRET).closed).toBe(true);
    }
  });

  test('the escaped form touches string contents only, and matches the simulator\'s independent escaper', () => {
    const body = '{"Title":"a&b<c>\'d\\"e`f+g é 😀","Id":1,"N":1e+5}';
    const escaped = autotaskEscapedForm(body);
    expect(escaped).toBe('{"Title":"a\\u0026b\\u003Cc\\u003E\\u0027d\\u0022e\\u0060f\\u002Bg \\u00E9 \\uD83D\\uDE00","Id":1,"N":1e+5}');
    expect(escapeForSignature(body)).toBe(escaped);
    expect(JSON.parse(escaped)).toEqual(JSON.parse(body));
  });

  test('rejects a wrong key, a changed body, a missing header and an empty secret', () => {
    const body = payload({ Status: '5' });
    const good = signWebhookDelivery(SECRET, body);
    expect(() => verifyAutotaskWebhook(body, { 'x-hook-signature': signWebhookDelivery('other', body) }, SECRET)).toThrow(PsaAuthError);
    expect(() => verifyAutotaskWebhook(body.replace('351181', '351182'), { 'x-hook-signature': good }, SECRET)).toThrow(PsaAuthError);
    expect(() => verifyAutotaskWebhook(body, {}, SECRET)).toThrow(PsaAuthError);
    expect(() => verifyAutotaskWebhook(body, { 'x-hook-signature': good }, '')).toThrow(PsaAuthError);
    expect(() => verifyAutotaskWebhook(body, { 'x-hook-signature': 'sha1=' }, SECRET)).toThrow(PsaAuthError);
  });

  test('a correctly signed body that is not a ticket event is a validation error', () => {
    for (const body of ['not json', payload({ Status: '5' }, { Id: null }), payload({}, { EntityType: 'Company' })]) {
      expect(() => verifyAutotaskWebhook(body, { 'x-hook-signature': signWebhookBody(SECRET, body) }, SECRET)).toThrow(PsaValidationError);
    }
    const deleted = payload({}, { Action: 'Delete' });
    expect(verifyAutotaskWebhook(deleted, { 'x-hook-signature': signWebhookBody(SECRET, deleted) }, SECRET)).toMatchObject({ action: 'delete', statusId: null });
  });
});

describe('deliveries from the simulator', () => {
  let receiver: http.Server;
  let received: { body: string; signature: string }[] = [];
  let hookUrl = '';
  beforeAll(async () => {
    receiver = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push({ body: Buffer.concat(chunks).toString('utf8'), signature: String(req.headers['x-hook-signature']) });
        res.end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', () => r()));
    hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/v1/psa-webhooks/conn-1`;
  });
  afterAll(() => new Promise<void>((r) => receiver.close(() => r())));
  beforeEach(() => {
    received = [];
  });

  test('subscribing creates a TicketWebhook on Status that excludes our own API user, and activates it last', async () => {
    const adapter = await at.adapter();
    at.sim.server.log.length = 0;
    const id = await adapter.subscribeTicketEvents(hookUrl, SECRET);
    expect(apiCalls(at.sim.server.log)).toEqual([
      'POST /resources/query',
      'POST /ticketwebhooks/query',
      'POST /ticketwebhooks',
      `POST /ticketwebhooks/${id}/fields`,
      `POST /ticketwebhooks/${id}/excludedresources`,
      'PATCH /ticketwebhooks',
    ]);
    const hook = at.sim.state.webhooks.get(Number(id));
    expect(hook).toMatchObject({ isActive: true, webhookUrl: hookUrl, secretKey: SECRET, excludedResources: [at.sim.state.seed.apiUser.resourceId] });
    expect(hook?.fields.length).toBe(1);
  });

  // Live before our resource is excluded, a webhook reports our own writes as someone else's work.
  for (const step of ['fields', 'excludedresources', 'ticketwebhooks$']) {
    test(`a subscription that fails at ${step.replace('$', '')} leaves no webhook behind, and our own writes are not echoed`, async () => {
      const adapter = await at.adapter();
      at.sim.server.addFault({ kind: 'timeout', method: step === 'ticketwebhooks$' ? 'PATCH' : 'POST', path: step, ms: 50, times: 5 });
      await expect(adapter.subscribeTicketEvents(hookUrl, SECRET)).rejects.toThrow();
      at.sim.server.clearFaults();
      expect([...at.sim.state.webhooks.values()]).toEqual([]);
      const ticket = await adapter.createTicket({ marker: `m-${randomUUID()}`, title: 't', description: 'd', organization: SEED_FIXTURES.organization, ticketMapping: SEED_FIXTURES.ticketMapping });
      await adapter.closeTicket(ticket.id, '5', 'resolved by us');
      await at.sim.state.flush();
      expect(received).toEqual([]);
    });
  }

  test('a change by an integration acting for the technician (ImpersonationResourceId) is delivered as hers; unknown or inactive resources are refused and change nothing', async () => {
    const adapter = await at.adapter();
    await adapter.subscribeTicketEvents(hookUrl, SECRET);
    const ticket = await adapter.createTicket({ marker: `m-${randomUUID()}`, title: 't', description: 'd', organization: SEED_FIXTURES.organization, ticketMapping: SEED_FIXTURES.ticketMapping });
    const technician = at.sim.state.seed.technician;
    const close = (resource: string) => at.raw('PATCH', 'Tickets', { id: Number(ticket.id), status: 5 }, { ...AUTH_HEADERS, ImpersonationResourceId: resource });
    for (const resource of ['424242', 'abc', '-1', '', `${technician.id}0`]) expect({ resource, status: (await close(resource)).status }).toEqual({ resource, status: 500 });
    technician.isActive = false;
    expect((await close(String(technician.id))).status).toBe(500);
    technician.isActive = true;
    await at.sim.state.flush();
    expect(at.sim.state.isClosed(Number(ticket.id))).toBe(false);
    expect(received).toEqual([]);

    expect((await close(String(technician.id))).status).toBe(200);
    await at.sim.state.flush();
    expect(received).toHaveLength(1);
    expect(JSON.parse(received[0]!.body)).toMatchObject({ Id: Number(ticket.id), Fields: { Status: '5' }, PersonID: technician.id });
    expect(at.sim.state.ticket(Number(ticket.id)).lastActivityResourceID).toBe(technician.id);
  });

  test('an inactive leftover of a subscription cut short is deleted by the next one, which alone is live', async () => {
    const adapter = await at.adapter();
    // What a worker killed between the create and the activation leaves: inactive, not excluding us.
    const leftover = await at.raw('POST', 'TicketWebhooks', { IsActive: false, Name: 'psa-sync ticket events', WebhookUrl: hookUrl, DeactivationUrl: hookUrl, SecretKey: SECRET });
    const elsewhere = await at.raw('POST', 'TicketWebhooks', { IsActive: true, Name: 'another integration', WebhookUrl: 'https://example.invalid/hook', DeactivationUrl: 'https://example.invalid/hook' });
    expect([leftover.status, elsewhere.status]).toEqual([200, 200]);
    const id = await adapter.subscribeTicketEvents(hookUrl, SECRET);
    const ours = [...at.sim.state.webhooks.values()].filter((w) => w.webhookUrl === hookUrl);
    expect(ours.map((w) => ({ id: w.id, isActive: w.isActive }))).toEqual([{ id: Number(id), isActive: true }]);
    expect(at.sim.state.webhooks.has((elsewhere.json as { itemId: number }).itemId)).toBe(true);
  });

  test('a technician closing a ticket is delivered, signed as Autotask signs it; our own writes are not echoed', async () => {
    const adapter = await at.adapter();
    const subscription = await adapter.subscribeTicketEvents(hookUrl, SECRET);
    const title = 'Backup failed: R&D <NAS> café';
    const ticket = await adapter.createTicket({ marker: `m-${randomUUID()}`, title, description: 'd', organization: SEED_FIXTURES.organization, ticketMapping: SEED_FIXTURES.ticketMapping });
    await adapter.addTicketNote(ticket.id, 'ours');
    await adapter.closeTicket(ticket.id, '5', 'resolved by us');
    await at.sim.state.flush();
    expect(received).toEqual([]);

    await adapter.reopenTicket(ticket.id, SEED_FIXTURES.ticketMapping.status, 'again');
    await at.sim.state.technicianClose(Number(ticket.id));
    expect(received).toHaveLength(1);
    const delivery = received[0]!;
    const body = JSON.parse(delivery.body) as Record<string, unknown>;
    expect(body).toMatchObject({ Action: 'Update', EntityType: 'Ticket', Id: Number(ticket.id), Fields: { Status: '5', Title: title }, PersonID: at.sim.state.seed.technician.id });
    // Signed over the escaped form, so a verifier that only hashed the raw body would refuse it.
    expect(delivery.signature).not.toBe(signWebhookBody(SECRET, delivery.body));
    expect(verifyAutotaskWebhook(delivery.body, { 'x-hook-signature': delivery.signature }, SECRET)).toMatchObject({ ticketId: ticket.id, closed: true });

    await adapter.unsubscribeTicketEvents(subscription);
    expect(at.sim.state.webhooks.size).toBe(0);
    await expect(adapter.unsubscribeTicketEvents(subscription)).resolves.toBeUndefined();
    at.sim.state.technicianNote(Number(ticket.id));
    await at.sim.state.technicianClose(Number(ticket.id));
    expect(received).toHaveLength(1);
  });
});
