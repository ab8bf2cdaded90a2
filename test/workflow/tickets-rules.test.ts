/**
 * When no ticket may be opened, the alert is recorded with the reason and the PSA is not called:
 * organization unmapped, ticket mapping missing, integration revoked. Outages make alerts wait
 * and catch up; alerts older than the catch-up window are skipped. PSA webhooks reach the run.
 */
import { seedTenants } from '../helpers/seed';
import { startStack, type Stack } from '../helpers/stack';
import { testKeys } from '../helpers/env';
import { connectIntegration, simControls } from '../helpers/integration-fixture';
import type { PsaKind } from '../../psa/core/types';
import { integrationRevokedSignal, psaTicketChangedSignal, serviceTicketWorkflowId, ticketMarker, type Problem } from '../../workflows/ticket-messages';
import { alertEvent, startTicketRig, waitFor, type TicketRig } from './tickets-helpers';
import { ticketWebhookSecret } from '../../security/credentials';
import * as halo from '../../sims/halopsa';

let stack: Stack;
let rig: TicketRig;

beforeAll(async () => {
  stack = await startStack('tickets-rules');
  rig = await startTicketRig(stack);
});
afterAll(async () => {
  await rig?.stop();
  await stack?.close();
});

const alertRow = (eventId: string) => stack.db.selectFrom('alerts').selectAll().where('eventId', '=', eventId).executeTakeFirstOrThrow();
const handled = (eventId: string, timeoutMs?: number) =>
  waitFor(`alert ${eventId} handled`, async () => ((await alertRow(eventId)).outcome ? alertRow(eventId) : null), timeoutMs);
const simRequests = () => stack.sims.connectwise.server.log.length + stack.sims.halopsa.server.log.length + stack.sims.autotask.server.log.length;

test('an unmapped organization: recorded as skipped with the reason, no PSA call', async () => {
  const t = await seedTenants(stack.db);
  const before = simRequests();
  const a = alertEvent(t.master.organizationIds[0]!, 'backup_failed', 'raised');
  await rig.alerts.reportAlert(a);
  const row = await handled(a.eventId);
  expect(row.outcome).toBe('skipped');
  expect(row.reason).toMatch(/^organization_unmapped: /);
  expect(simRequests()).toBe(before);
});

test('ticket mapping missing (it is optional): recorded as skipped, no PSA call', async () => {
  const t = await seedTenants(stack.db);
  await connectIntegration(stack.db, testKeys(), stack.sims, { partnerId: t.master.id, psa: 'connectwise', organizationIds: t.master.organizationIds, withTicketMapping: false });
  const before = simRequests();
  const a = alertEvent(t.master.organizationIds[0]!, 'backup_failed', 'raised');
  await rig.alerts.reportAlert(a);
  const row = await handled(a.eventId);
  expect(row).toMatchObject({ outcome: 'skipped', ticketId: null });
  expect(row.reason).toMatch(/^ticket_mapping_missing: /);
  expect(simRequests()).toBe(before);
});

/** A mapped organization of its own with an open ticket for `problem`. */
async function openTicket(psa: PsaKind, problem: Problem) {
  const t = await seedTenants(stack.db);
  const fx = await connectIntegration(stack.db, testKeys(), stack.sims, { partnerId: t.direct.id, psa, organizationIds: t.direct.organizationIds });
  const org = t.direct.organizationIds[0]!;
  const raise = alertEvent(org, problem, 'raised');
  await rig.alerts.reportAlert(raise);
  expect((await handled(raise.eventId)).outcome).toBe('ticket_created');
  const recover = async () => {
    const e = alertEvent(org, problem, 'recovered');
    await rig.alerts.reportAlert(e);
    // Well inside the catch-up window (60 s): an outage would still be waiting.
    return handled(e.eventId, 20_000);
  };
  return { fx, org, recover };
}

test('ticket mapping reset while a ticket is open: the recovery is skipped for that reason (the refusal\'s code), the ticket left as it is', async () => {
  const { fx, org, recover } = await openTicket('halopsa', 'backup_overdue');
  await stack.db.deleteFrom('ticketMappings').where('connectionId', '=', fx.connectionId).execute();
  const before = simRequests();
  const row = await recover();
  expect(row.outcome).toBe('skipped');
  expect(row.reason).toBe('ticket_mapping_missing: Ticket mapping is not set for this PSA');
  expect(simRequests()).toBe(before);
  const ticket = await stack.db.selectFrom('tickets').select('state').where('marker', '=', ticketMarker(org, 'backup_overdue', 1)).executeTakeFirstOrThrow();
  expect(ticket.state).toBe('open');
});

test('integrationRevoked stops the run: buffered repeats recorded as skipped, no PSA call after it', async () => {
  const t = await seedTenants(stack.db);
  await connectIntegration(stack.db, testKeys(), stack.sims, { partnerId: t.sub.id, psa: 'halopsa', organizationIds: t.sub.organizationIds });
  const org = t.sub.organizationIds[0]!;
  const raise = alertEvent(org, 'backup_failed', 'raised');
  await rig.alerts.reportAlert(raise);
  await handled(raise.eventId);
  // A repeat sits in the debounce window when the lifecycle revokes (found by partner + vendor).
  const repeat = alertEvent(org, 'backup_failed', 'raised');
  await rig.alerts.reportAlert(repeat);
  const running = await waitFor('run visible by partner and vendor', async () => {
    const ids: string[] = [];
    for await (const w of stack.client.workflow.list({ query: `PsaPartnerId = "${t.sub.id}" AND PsaVendor = "halopsa" AND ExecutionStatus = "Running"` })) ids.push(w.workflowId);
    return ids.length > 0 ? ids : null;
  });
  expect(running).toEqual([serviceTicketWorkflowId(org, 'backup_failed')]);
  const before = stack.sims.halopsa.server.log.length;
  const handle = stack.client.workflow.getHandle(running[0]!);
  await handle.signal(integrationRevokedSignal);
  expect((await handle.result()).stopReason).toBe('integration_revoked');
  const row = await alertRow(repeat.eventId);
  expect(row.outcome).toBe('skipped');
  expect(row.reason).toMatch(/^integration_revoked: /);
  expect(stack.sims.halopsa.server.log.length).toBe(before);
  const abandoned = await stack.db.selectFrom('auditLog').select('action').where('target', '=', `ticket:${ticketMarker(org, 'backup_failed', 1)}`).where('action', '=', 'ticket.abandon').execute();
  expect(abandoned).toHaveLength(1);
});

test('an Unhealthy connection makes alerts wait without PSA calls, then catch up when it is healthy again', async () => {
  const t = await seedTenants(stack.db);
  const fx = await connectIntegration(stack.db, testKeys(), stack.sims, { partnerId: t.direct.id, psa: 'connectwise', organizationIds: t.direct.organizationIds, health: 'unhealthy' });
  const org = t.direct.organizationIds[0]!;
  const before = stack.sims.connectwise.server.log.length;
  const a = alertEvent(org, 'site_unreachable', 'raised');
  await rig.alerts.reportAlert(a);
  await new Promise((r) => setTimeout(r, 2_000));
  expect((await alertRow(a.eventId)).outcome).toBeNull();
  expect(stack.sims.connectwise.server.log.length).toBe(before);
  await stack.db.updateTable('connections').set({ health: 'healthy', healthReason: null, updatedAt: new Date() }).where('id', '=', fx.connectionId).execute();
  expect((await handled(a.eventId)).outcome).toBe('ticket_created');
  expect(simControls('connectwise', stack.sims).ticketsWithMarker(ticketMarker(org, 'site_unreachable', 1))).toBe(1);
});

test('a PSA outage longer than the catch-up window: the alert is recorded as skipped with the reason', async () => {
  const short = await startTicketRig(stack, { catchUpWindowMs: 1_500, outageRetryMs: 300 });
  try {
    const t = await seedTenants(stack.db);
    await connectIntegration(stack.db, testKeys(), stack.sims, { partnerId: t.master.id, psa: 'halopsa', organizationIds: t.master.organizationIds });
    stack.sims.halopsa.server.addFault({ kind: 'status', status: 503, path: '/api/tickets' });
    const a = alertEvent(t.master.organizationIds[0]!, 'backup_overdue', 'raised');
    await short.alerts.reportAlert(a);
    const row = await handled(a.eventId, 60_000);
    expect(row.outcome).toBe('skipped');
    expect(row.reason).toMatch(/^psa_unavailable: /);
  } finally {
    stack.sims.halopsa.server.clearFaults();
    await short.stop();
  }
});

test('a PSA refusal is recorded at once as psa_rejected, not waited out as an outage', async () => {
  const t = await seedTenants(stack.db);
  await connectIntegration(stack.db, testKeys(), stack.sims, { partnerId: t.sub.id, psa: 'halopsa', organizationIds: t.sub.organizationIds });
  stack.sims.halopsa.server.addFault({ kind: 'status', status: 400, method: 'POST', path: '^/api/tickets$', body: { '[0].summary': 'Summary is too long' } });
  try {
    const a = alertEvent(t.sub.organizationIds[1]!, 'site_unreachable', 'raised');
    await rig.alerts.reportAlert(a);
    // Well inside the catch-up window (60 s): an outage would still be waiting.
    const row = await handled(a.eventId, 20_000);
    expect(row.outcome).toBe('skipped');
    expect(row.reason).toMatch(/^psa_rejected: The PSA refused the request: .*Summary is too long/);
  } finally {
    stack.sims.halopsa.server.clearFaults();
  }
});

test('a connection gone under an open ticket (revoked, credentials wiped) ends the alert as integration_revoked at once', async () => {
  const { fx, recover } = await openTicket('connectwise', 'mailbox_unreachable');
  await stack.db.updateTable('connections').set({ status: 'revoked', credentials: null, credentialsKeyId: null, updatedAt: new Date() }).where('id', '=', fx.connectionId).execute();
  const before = simRequests();
  const row = await recover();
  expect(row.outcome).toBe('skipped');
  expect(row.reason).toBe('integration_revoked: The PSA connection no longer exists');
  expect(simRequests()).toBe(before);
});

test('a connection that stays Unhealthy past the catch-up window: the alert is skipped as connection_unhealthy', async () => {
  const short = await startTicketRig(stack, { catchUpWindowMs: 1_500, outageRetryMs: 300 });
  try {
    const t = await seedTenants(stack.db);
    await connectIntegration(stack.db, testKeys(), stack.sims, { partnerId: t.sub.id, psa: 'autotask', organizationIds: t.sub.organizationIds, health: 'unhealthy' });
    const a = alertEvent(t.sub.organizationIds[0]!, 'backup_failed', 'raised');
    await short.alerts.reportAlert(a);
    const row = await handled(a.eventId);
    expect(row.outcome).toBe('skipped');
    expect(row.reason).toBe('connection_unhealthy: The PSA connection stayed unhealthy past the catch-up window');
  } finally {
    await short.stop();
  }
});

test('a create whose answer is lost (commit_then_drop) is adopted by marker, not created twice', async () => {
  const t = await seedTenants(stack.db);
  await connectIntegration(stack.db, testKeys(), stack.sims, { partnerId: t.direct.id, psa: 'halopsa', organizationIds: t.direct.organizationIds });
  const org = t.direct.organizationIds[1]!;
  stack.sims.halopsa.server.addFault({ kind: 'commit_then_drop', method: 'POST', path: '^/api/tickets$', times: 1 });
  const a = alertEvent(org, 'backup_failed', 'raised');
  await rig.alerts.reportAlert(a);
  expect((await handled(a.eventId)).outcome).toBe('ticket_adopted');
  expect(simControls('halopsa', stack.sims).ticketsWithMarker(ticketMarker(org, 'backup_failed', 1))).toBe(1);
  stack.sims.halopsa.server.clearFaults();
});

test('a PSA event that overtakes the open\'s answer is kept and honoured once the ticket is known', async () => {
  // The open activity writes the ticket row, then — before the run has its answer — the
  // technician closes the ticket and the verified callback is signalled. The run must not drop
  // that event for want of a ticket (the poll is an hour away here). The open is a local
  // activity, so the signal reaches the run when the workflow task heartbeats (about 8 s).
  const holds: Promise<void>[] = [];
  const local = await startTicketRig(stack, { pollIntervalMs: 60 * 60_000 }, (activities) => ({
    ...activities,
    async openServiceTicket(input) {
      const opened = await activities.openServiceTicket(input);
      if (opened.kind === 'opened') {
        const hold = (async () => {
          await simControls('connectwise', stack.sims).closeInPsa(opened.psaTicketId);
          await stack.sims.connectwise.state.dispatcher.flush();
          const handle = stack.client.workflow.getHandle(serviceTicketWorkflowId(input.organizationId, input.problem));
          // Until the signal's own workflow task has run, with the open still unanswered.
          await waitFor('the callback signal handled', async () => {
            const events = (await handle.fetchHistory()).events ?? [];
            const signalled = events.findIndex((e) => e.workflowExecutionSignaledEventAttributes?.signalName === psaTicketChangedSignal.name);
            return signalled >= 0 && events.slice(signalled).some((e) => e.workflowTaskCompletedEventAttributes);
          });
        })();
        holds.push(hold);
        await hold;
      }
      return opened;
    },
  }));
  try {
    const t = await seedTenants(stack.db);
    await connectIntegration(stack.db, testKeys(), stack.sims, { partnerId: t.direct.id, psa: 'connectwise', organizationIds: t.direct.organizationIds });
    const org = t.direct.organizationIds[0]!;
    const a = alertEvent(org, 'mailbox_unreachable', 'raised');
    await local.alerts.reportAlert(a);
    expect((await handled(a.eventId)).outcome).toBe('ticket_created');
    await Promise.all(holds);
    expect(holds).toHaveLength(1);
    const handle = stack.client.workflow.getHandle(serviceTicketWorkflowId(org, 'mailbox_unreachable'));
    await waitFor('the run to end', async () => (await handle.describe()).status.name !== 'RUNNING', 20_000);
    expect((await handle.result()).stopReason).toBe('closed_in_psa');
    expect(local.platform.calls).toEqual([expect.objectContaining({ organizationId: org, problem: 'mailbox_unreachable' })]);
  } finally {
    await local.stop();
  }
});

test("HaloPSA calls us for our own actions too: those events are acknowledged and not passed on; a technician's mark the ticket, and only a close reaches the run", async () => {
  const t = await seedTenants(stack.db);
  const fx = await connectIntegration(stack.db, testKeys(), stack.sims, { partnerId: t.direct.id, psa: 'halopsa', organizationIds: t.direct.organizationIds });
  const org = t.direct.organizationIds[0]!;
  const a = alertEvent(org, 'backup_overdue', 'raised');
  await rig.alerts.reportAlert(a);
  await handled(a.eventId);
  const ticket = (await stack.db.selectFrom('tickets').selectAll().where('marker', '=', ticketMarker(org, 'backup_overdue', 1)).executeTakeFirst())!;
  // Our own creation is not an event we subscribe to.
  await stack.sims.halopsa.state.webhooks.flush();
  expect(stack.sims.halopsa.state.webhooks.deliveries.filter((d) => d.objectId === Number(ticket.psaTicketId))).toEqual([]);
  const conn = await stack.db.selectFrom('connections').select('credentials').where('id', '=', fx.connectionId).executeTakeFirstOrThrow();
  const secret = ticketWebhookSecret(testKeys(), fx.connectionId, conn.credentials as Buffer);
  const deliver = async (agentId: number, closed = false) => {
    const res = await fetch(`${stack.apiUrl}/v1/psa-webhooks/${fx.connectionId}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Basic ${Buffer.from(`psa-sync:${secret}`).toString('base64')}` },
      body: JSON.stringify({ event: 'Action Added', object_id: Number(ticket.psaTicketId), ticket: { id: Number(ticket.psaTicketId), hasbeenclosed: closed }, action: { id: 1, who_agentid: agentId } }),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const handle = stack.client.workflow.getHandle(serviceTicketWorkflowId(org, 'backup_overdue'));
  const signals = async () =>
    ((await handle.fetchHistory()).events ?? []).filter((e) => e.workflowExecutionSignaledEventAttributes?.signalName === psaTicketChangedSignal.name).length;
  const touched = async () => (await stack.db.selectFrom('tickets').select('touchedByOthers').where('id', '=', ticket.id).executeTakeFirstOrThrow()).touchedByOthers;

  expect(await deliver(halo.API_AGENT_ID)).toEqual({ status: 200, body: { accepted: 0, ownChange: true } });
  expect(await touched()).toBe(false);
  // A technician's note: the row remembers it; the run, which acts only on closes, is not woken.
  expect(await deliver(halo.TECHNICIAN_AGENT_ID)).toEqual({ status: 200, body: { accepted: 1 } });
  expect(await touched()).toBe(true);
  expect(await signals()).toBe(0);
  // A technician's close reaches the run.
  expect(await deliver(halo.TECHNICIAN_AGENT_ID, true)).toEqual({ status: 200, body: { accepted: 1 } });
  expect(await signals()).toBe(1);
});

test('a forged PSA webhook is refused with 401', async () => {
  const t = await seedTenants(stack.db);
  const fx = await connectIntegration(stack.db, testKeys(), stack.sims, { partnerId: t.master.id, psa: 'halopsa', organizationIds: [] });
  const res = await fetch(`${stack.apiUrl}/v1/psa-webhooks/${fx.connectionId}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Basic ${Buffer.from('psa-sync:guess').toString('base64')}` },
    body: JSON.stringify({ object_id: 1, event: 'Ticket Closed' }),
  });
  expect(res.status).toBe(401);
});

test('a run records one patch marker (the spread safety polls) and calls the PSA from local activities', async () => {
  const t = await seedTenants(stack.db);
  await connectIntegration(stack.db, testKeys(), stack.sims, { partnerId: t.direct.id, psa: 'autotask', organizationIds: t.direct.organizationIds });
  const org = t.direct.organizationIds[0]!;
  const a = alertEvent(org, 'backup_failed', 'raised');
  await rig.alerts.reportAlert(a);
  expect((await handled(a.eventId)).outcome).toBe('ticket_created');
  const events = (await stack.client.workflow.getHandle(serviceTicketWorkflowId(org, 'backup_failed')).fetchHistory()).events ?? [];
  const markers = (name: string) => events.filter((e) => e.markerRecordedEventAttributes?.markerName === name).length;
  // The one guarded change so far; each new guard adds an event and an upsert to every alert's run.
  expect(markers('core_patch')).toBe(1);
  expect(events.filter((e) => Object.keys(e.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields ?? {}).includes('TemporalChangeVersion'))).toHaveLength(1);
  expect(events.flatMap((e) => e.activityTaskScheduledEventAttributes?.activityType?.name ?? [])).toEqual([]);
  expect(markers('core_local_activity')).toBe(1);
});
