/**
 * Metrics end to end: a HaloPSA ticket lifecycle (raise, repeats, recovery) through the real
 * worker and the simulator over HTTP, with one 429 and one 503 on the ticket create, then the
 * API's `GET /metrics` is scraped: every counter moved by exactly what the lifecycle did. The
 * route honours METRICS_TOKEN when one is configured.
 */
import { ApiServer } from '../../api/server';
import { buildRoutes } from '../../api/app';
import { seedTenants } from '../helpers/seed';
import { startStack, type Stack } from '../helpers/stack';
import { memoryLogger, testConfig, testKeys } from '../helpers/env';
import { connectIntegration, simControls } from '../helpers/integration-fixture';
import { ticketMarker } from '../../workflows/ticket-messages';
import { alertEvent, startTicketRig, waitFor, type TicketRig } from './tickets-helpers';

let stack: Stack;
let rig: TicketRig;

beforeAll(async () => {
  stack = await startStack('metrics');
  rig = await startTicketRig(stack);
});
afterAll(async () => {
  await rig?.stop();
  await stack?.close();
});

type Sample = { name: string; labels: Record<string, string>; value: number };

/** The samples of a Prometheus text exposition (comments skipped). */
function parseExposition(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1] as string] = l[2] as string;
    samples.push({ name: m[1] as string, labels, value: Number(m[3]) });
  }
  return samples;
}

async function scrape(): Promise<Sample[]> {
  const res = await fetch(`${stack.apiUrl}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return parseExposition(await res.text());
}

/** Sum of the samples named `name` whose labels include `labels`. */
const total = (samples: Sample[], name: string, labels: Record<string, string | RegExp> = {}) =>
  samples
    .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => (typeof v === 'string' ? s.labels[k] === v : v.test(s.labels[k] ?? ''))))
    .reduce((sum, s) => sum + s.value, 0);

test('a ticket lifecycle moves each counter by what it did: alerts, open / note / close, PSA calls by operation and status, the 429, the failed attempt', async () => {
  const tenants = await seedTenants(stack.db, { organizationsPerPartner: 1 });
  const partner = tenants.direct;
  await connectIntegration(stack.db, testKeys(), stack.sims, { partnerId: partner.id, psa: 'halopsa', organizationIds: partner.organizationIds });
  const org = partner.organizationIds[0] as string;
  const alertRow = (eventId: string) => stack.db.selectFrom('alerts').selectAll().where('eventId', '=', eventId).executeTakeFirstOrThrow();
  const handled = (eventId: string) => waitFor(`alert ${eventId} handled`, async () => ((await alertRow(eventId)).outcome ? alertRow(eventId) : null));

  const before = await scrape();
  // The create is answered 429 (waited out inside the call), then 503: the attempt fails and the
  // activity's retry finds no ticket and creates it.
  const server = stack.sims.halopsa.server;
  const logStart = server.log.length;
  server.addFault({ kind: 'rate_limit', method: 'POST', path: '/tickets$', retryAfterSec: 0.2, times: 1 });
  server.addFault({ kind: 'status', status: 503, method: 'POST', path: '/tickets$', times: 1 });

  const raise = alertEvent(org, 'backup_failed', 'raised');
  await rig.alerts.reportAlert(raise);
  expect((await handled(raise.eventId)).outcome).toBe('ticket_created');
  await rig.alerts.reportAlert(raise); // the platform delivers it twice
  const repeats = [alertEvent(org, 'backup_failed', 'raised'), alertEvent(org, 'backup_failed', 'raised')];
  for (const r of repeats) await rig.alerts.reportAlert(r);
  for (const r of repeats) expect((await handled(r.eventId)).outcome).toBe('noted');
  const recovered = alertEvent(org, 'backup_failed', 'recovered');
  await rig.alerts.reportAlert(recovered);
  expect((await handled(recovered.eventId)).outcome).toBe('closed');
  expect(simControls('halopsa', stack.sims).ticketsWithMarker(ticketMarker(org, 'backup_failed', 1))).toBe(1);

  const after = await scrape();
  const delta = (name: string, labels: Record<string, string | RegExp> = {}) => total(after, name, labels) - total(before, name, labels);
  const halo = { vendor: 'halopsa' };

  expect(delta('psa_sync_alerts_received_total', { event: 'raised', duplicate: 'false' })).toBe(3);
  expect(delta('psa_sync_alerts_received_total', { event: 'raised', duplicate: 'true' })).toBe(1);
  expect(delta('psa_sync_alerts_received_total', { event: 'recovered' })).toBe(1);

  expect(delta('psa_sync_tickets_opened_total', { ...halo, adopted: 'false' })).toBe(1);
  expect(delta('psa_sync_tickets_opened_total', { ...halo, adopted: 'true' })).toBe(0);
  expect(delta('psa_sync_ticket_notes_total', halo)).toBe(1); // two repeats inside the debounce window: one note
  expect(delta('psa_sync_tickets_closed_total', { ...halo, by: 'engine' })).toBe(1);
  expect(delta('psa_sync_tickets_closed_total', { ...halo, by: 'psa' })).toBe(0);

  // The create: 429, 503, then 201 on the retry; the PSA's requests as the simulator logged them.
  const create = { ...halo, operation: 'createTicket' };
  expect(delta('psa_sync_psa_calls_total', { ...create, status: '429' })).toBe(1);
  expect(delta('psa_sync_psa_calls_total', { ...create, status: '503' })).toBe(1);
  expect(delta('psa_sync_psa_calls_total', { ...create, status: /^2\d\d$/ })).toBe(1);
  expect(delta('psa_sync_psa_rate_limited_total', create)).toBe(1);
  // The first attempt records its intent and creates without searching; only the retry looks for the marker.
  expect(delta('psa_sync_psa_calls_total', { ...halo, operation: 'findTicketByMarker' })).toBe(1);
  expect(delta('psa_sync_psa_calls_total', { ...halo, operation: 'closeTicket', status: /^2\d\d$/ })).toBe(1);
  // Every request the simulator saw (token, subscription, identity read included) was counted once.
  expect(delta('psa_sync_psa_calls_total', halo)).toBe(server.log.length - logStart);
  // Every request took a governor slot.
  expect(delta('psa_sync_governor_wait_seconds_count', halo)).toBe(delta('psa_sync_psa_calls_total', halo));

  expect(delta('psa_sync_activity_failures_total', { activity: 'openServiceTicket', type: 'PsaUnavailableError', retryable: 'true' })).toBe(1);
  expect(delta('psa_sync_activity_failures_total')).toBe(1);
  // Two attempts of the open, the note and the close, each started once scheduled.
  expect(delta('psa_sync_schedule_lag_seconds_count', { activity: 'openServiceTicket' })).toBe(2);
  expect(delta('psa_sync_schedule_lag_seconds_count', { activity: 'addServiceTicketNote' })).toBe(1);
  expect(delta('psa_sync_schedule_lag_seconds_count', { activity: 'closeServiceTicket' })).toBe(1);
});

test('with METRICS_TOKEN set, /metrics answers 401 without it and the exposition with it', async () => {
  const token = 'metrics-scrape-token-0123';
  const config = { ...testConfig(), METRICS_TOKEN: token };
  const { log } = memoryLogger('metrics-token');
  const deps = { db: stack.db, temporal: stack.client, taskQueue: stack.taskQueue, keys: testKeys(), config, psa: stack.psa, log };
  const server = new ApiServer({ db: stack.db, routes: buildRoutes(deps), platformTokens: config.API_TOKENS, log });
  const url = `${await server.listen(0)}/metrics`;
  try {
    const anonymous = await fetch(url);
    expect(anonymous.status).toBe(401);
    expect(((await anonymous.json()) as { error: { code: string } }).error.code).toBe('unauthenticated');
    expect((await fetch(url, { headers: { authorization: `Bearer ${config.API_TOKENS[0]}` } })).status).toBe(401);
    const ok = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain('# TYPE psa_sync_alerts_received_total counter');
  } finally {
    await server.close();
  }
});
