/**
 * The alert API over HTTP: platform-token auth, validation, idempotency by event id (a repeat
 * answers with the first receipt and opens nothing new), and the signed webhook variant
 * (HMAC over timestamp.body, 5-minute window, replayed deliveries refused).
 */
import { seedTenants } from '../helpers/seed';
import { startStack, type Stack } from '../helpers/stack';
import { testConfig, testKeys } from '../helpers/env';
import { connectIntegration, simControls } from '../helpers/integration-fixture';
import { signAlertWebhook } from '../../api/routes/alerts';
import { ticketMarker } from '../../workflows/ticket-messages';
import { alertEvent, waitFor } from './tickets-helpers';

let stack: Stack;
const secret = testConfig().ALERT_WEBHOOK_SECRET;

beforeAll(async () => {
  stack = await startStack('tickets-api');
});
afterAll(async () => {
  await stack?.close();
});

const signedPost = (body: string, ts: number, signature = signAlertWebhook(secret, ts, body)) =>
  fetch(`${stack.apiUrl}/v1/webhooks/alerts`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-psa-sync-timestamp': String(ts), 'x-psa-sync-signature': signature },
    body,
  });

test('POST /v1/alerts opens one ticket; the same event id again returns the first receipt and changes nothing', async () => {
  const t = await seedTenants(stack.db);
  await connectIntegration(stack.db, testKeys(), stack.sims, { partnerId: t.master.id, psa: 'connectwise', organizationIds: t.master.organizationIds });
  const org = t.master.organizationIds[0]!;
  const evt = alertEvent(org, 'backup_failed', 'raised');
  const first = await stack.api('POST', '/v1/alerts', null, evt);
  expect(first.status).toBe(202);
  expect(first.body).toMatchObject({ eventId: evt.eventId, organizationId: org, workflowId: `ticket/${org}/backup_failed` });
  await waitFor('ticket row', () => stack.db.selectFrom('tickets').select('id').where('marker', '=', ticketMarker(org, 'backup_failed', 1)).executeTakeFirst());
  const again = await stack.api('POST', '/v1/alerts', null, evt);
  expect(again.status).toBe(202);
  expect(again.body).toEqual(first.body);
  expect(await stack.db.selectFrom('alerts').select('id').where('eventId', '=', evt.eventId).execute()).toHaveLength(1);
  expect(simControls('connectwise', stack.sims).ticketsWithMarker(ticketMarker(org, 'backup_failed', 1))).toBe(1);
  // Reusing an event id for a different alert is a conflict, not a silent replay.
  const reused = await stack.api('POST', '/v1/alerts', null, { ...evt, event: 'recovered' });
  expect(reused.status).toBe(409);
  expect(reused.body.error.code).toBe('event_id_reused');
});

test('bad input → 400 with field messages; no token → 401; unknown organization → 404', async () => {
  const bad = await stack.api('POST', '/v1/alerts', null, { eventId: '', organizationId: 'nope', problem: 'disk_full', event: 'raised', occurredAt: 'yesterday' });
  expect(bad.status).toBe(400);
  expect(bad.body.error.issues.map((i: { field: string }) => i.field).sort()).toEqual(['eventId', 'occurredAt', 'organizationId', 'problem']);
  const extra = await stack.api('POST', '/v1/alerts', null, { ...alertEvent('00000000-0000-4000-8000-000000000000', 'backup_failed', 'raised'), partnerId: 'x' });
  expect(extra.status).toBe(400);
  const noToken = await fetch(`${stack.apiUrl}/v1/alerts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(alertEvent('00000000-0000-4000-8000-000000000000', 'backup_failed', 'raised')) });
  expect(noToken.status).toBe(401);
  const unknown = await stack.api('POST', '/v1/alerts', null, alertEvent('00000000-0000-4000-8000-000000000000', 'backup_failed', 'raised'));
  expect(unknown.status).toBe(404);
  const trace = await stack.api('GET', '/v1/alerts/no-such-event/trace', null);
  expect(trace.status).toBe(404);
});

test('signed webhook: valid → 202; wrong signature, stale timestamp → 401; the same delivery replayed → 409', async () => {
  const t = await seedTenants(stack.db);
  const org = t.direct.organizationIds[0]!;
  const body = JSON.stringify(alertEvent(org, 'backup_overdue', 'raised'));
  const now = Math.floor(Date.now() / 1000);
  const ok = await signedPost(body, now);
  expect(ok.status).toBe(202);
  expect(((await ok.json()) as { organizationId: string }).organizationId).toBe(org);
  expect((await signedPost(body, now)).status).toBe(409);
  expect((await signedPost(body, now + 1, signAlertWebhook('another-secret-of-16+', now + 1, body))).status).toBe(401);
  const tampered = body.replace('backup_overdue', 'backup_failed');
  expect((await signedPost(tampered, now + 2, signAlertWebhook(secret, now + 2, body))).status).toBe(401);
  expect((await signedPost(body, now - 301)).status).toBe(401);
  // A retry of the same event re-signed later is accepted and answers with the first receipt.
  const retry = await signedPost(body, now + 3);
  expect(retry.status).toBe(202);
  expect(retry.headers.get('x-idempotent-replay')).toBe('true');
});

test("partner users read their own alerts' traces: managers of the partner or an ancestor; other roles 403, other tenants 404", async () => {
  const t = await seedTenants(stack.db);
  await connectIntegration(stack.db, testKeys(), stack.sims, { partnerId: t.sub.id, psa: 'autotask', organizationIds: t.sub.organizationIds });
  const org = t.sub.organizationIds[0]!;
  const evt = alertEvent(org, 'backup_failed', 'raised');
  expect((await stack.api('POST', '/v1/alerts', null, evt)).status).toBe(202);
  await waitFor('ticket row', () => stack.db.selectFrom('tickets').select('id').where('marker', '=', ticketMarker(org, 'backup_failed', 1)).executeTakeFirst());
  const path = (partnerId: string) => `/v1/partners/${partnerId}/alerts/${encodeURIComponent(evt.eventId)}/trace`;

  const own = await stack.api('GET', path(t.sub.id), t.sub.users.admin);
  expect(own.status).toBe(200);
  expect(own.body.alert).toMatchObject({ eventId: evt.eventId, organizationId: org });
  await waitFor('ticket in the trace', async () => ((await stack.api('GET', path(t.sub.id), t.sub.users.owner)).body.ticket ? true : null));
  // The master reseller manages its sub-reseller.
  expect((await stack.api('GET', path(t.sub.id), t.master.users.super_admin)).status).toBe(200);
  expect((await stack.api('GET', path(t.sub.id), t.sub.users.technician)).status).toBe(403);
  expect((await stack.api('GET', path(t.sub.id), t.direct.users.owner)).status).toBe(404);
  // The alert is the sub-reseller's: asked under the master's own id it does not exist.
  expect((await stack.api('GET', path(t.master.id), t.master.users.owner)).status).toBe(404);
  expect((await stack.api('GET', path(t.sub.id), null)).status).toBe(401);
});
