/**
 * Service tickets end to end, for each PSA: platform alert → Temporal → worker → simulator over
 * HTTP → PostgreSQL. One ticket per episode, debounced repeat notes, close on recovery with the
 * mapped closed status, reopen on flapping, note-only when a technician worked on it, the PSA
 * closing first (a technician's close through the PSA's API, reported by the PSA's own webhook
 * call, or found by polling), the trace, and writes whose result never reached the run made once only.
 */
import type { PsaKind } from '../../psa/core/types';
import { seedTenants } from '../helpers/seed';
import { startStack, type Stack } from '../helpers/stack';
import { testKeys } from '../helpers/env';
import { connectIntegration, simControls } from '../helpers/integration-fixture';
import { psaTicketChangedSignal, serviceTicketStatusQuery, serviceTicketWorkflowId, ticketMarker } from '../../workflows/ticket-messages';
import { alertEvent, psaStatusOf, startTicketRig, technicianClosesThroughApi, waitFor, webhookDeliveries, type TicketRig } from './tickets-helpers';

let stack: Stack;
let rig: TicketRig;

beforeAll(async () => {
  stack = await startStack('tickets-lifecycle');
  rig = await startTicketRig(stack);
});
afterAll(async () => {
  await rig?.stop();
  await stack?.close();
});

const alertRow = (eventId: string) => stack.db.selectFrom('alerts').selectAll().where('eventId', '=', eventId).executeTakeFirstOrThrow();
const handled = (eventId: string) => waitFor(`alert ${eventId} handled`, async () => ((await alertRow(eventId)).outcome ? alertRow(eventId) : null));
const ticketOf = (marker: string) => stack.db.selectFrom('tickets').selectAll().where('marker', '=', marker).executeTakeFirst();
/** Where the PSA calls us about a connection's tickets (a query string may follow, as ConnectWise appends). */
const webhookUrl = (connectionId: string) => `${stack.apiUrl}/v1/psa-webhooks/${connectionId}`;
const auditActions = async (marker: string) =>
  (await stack.db.selectFrom('auditLog').select('action').where('target', '=', `ticket:${marker}`).orderBy('id').execute()).map((r) => r.action);

async function mappedOrganization(psa: PsaKind) {
  const tenants = await seedTenants(stack.db, { organizationsPerPartner: 3 });
  const partner = tenants.direct;
  const fx = await connectIntegration(stack.db, testKeys(), stack.sims, { partnerId: partner.id, psa, organizationIds: partner.organizationIds });
  return { partner, fx, orgs: partner.organizationIds as [string, string, string] };
}

/**
 * A closed status other than the one a technician's close picks by default (the first closed one),
 * where the PSA has another, so a close that ignored the mapping would show.
 */
const MAPPED_CLOSED_STATUS: Record<PsaKind, string> = { connectwise: '16', autotask: '5', halopsa: '10' };

describe.each(['connectwise', 'autotask', 'halopsa'] as const)('%s', (psa) => {
  test('raise → one ticket; repeats → one debounced note; recovery → closed with the mapped status; trace shows it all', async () => {
    const { orgs, fx } = await mappedOrganization(psa);
    const closedStatus = MAPPED_CLOSED_STATUS[psa];
    await stack.db
      .updateTable('ticketMappings')
      .set({ settings: JSON.stringify({ ...fx.ticketMapping, closedStatus }) })
      .where('connectionId', '=', fx.connectionId)
      .execute();
    const sim = simControls(psa, stack.sims);
    const org = orgs[0];
    const first = alertEvent(org, 'backup_failed', 'raised');
    const { receipt } = await rig.alerts.reportAlert(first);
    expect(receipt.workflowId).toBe(serviceTicketWorkflowId(org, 'backup_failed'));
    const row = await handled(first.eventId);
    expect(row.outcome).toBe('ticket_created');
    const marker = ticketMarker(org, 'backup_failed', 1);
    const ticket = await ticketOf(marker);
    expect(ticket?.state).toBe('open');
    expect(row.ticketId).toBe(ticket?.id);
    expect(sim.ticketsWithMarker(marker)).toBe(1);

    // Three repeats inside the debounce window: one note, still one ticket.
    const repeats = [alertEvent(org, 'backup_failed', 'raised'), alertEvent(org, 'backup_failed', 'raised'), alertEvent(org, 'backup_failed', 'raised')];
    for (const r of repeats) await rig.alerts.reportAlert(r);
    for (const r of repeats) expect((await handled(r.eventId)).outcome).toBe('noted');
    expect((await ticketOf(marker))?.noteCount).toBe(1);
    expect(sim.ticketsWithMarker(marker)).toBe(1);

    const recovered = alertEvent(org, 'backup_failed', 'recovered');
    await rig.alerts.reportAlert(recovered);
    expect((await handled(recovered.eventId)).outcome).toBe('closed');
    const closed = await ticketOf(marker);
    expect(closed).toMatchObject({ state: 'closed', closedBy: 'engine' });
    expect(sim.isClosed(closed!.psaTicketId)).toBe(true);
    expect(psaStatusOf(psa, stack.sims, closed!.psaTicketId)).toBe(closedStatus);
    expect(await auditActions(marker)).toEqual(['ticket.create', 'ticket.note', 'ticket.close']);

    // The trace through the HTTP API (platform token), from DB rows + audit log.
    const trace = await stack.api('GET', `/v1/alerts/${encodeURIComponent(first.eventId)}/trace`, null);
    expect(trace.status).toBe(200);
    // ConnectWise's close note is a note of its own (with a token), the others close in one call.
    expect(trace.body.ticket).toMatchObject({ marker, psa, state: 'closed', noteCount: psa === 'connectwise' ? 2 : 1 });
    expect(trace.body.steps.map((s: { step: string }) => s.step)).toEqual(
      expect.arrayContaining(['received', 'mapped', 'ticket_created', 'note_added', 'ticket_closed', 'outcome:ticket_created']),
    );
    const created = trace.body.steps.find((s: { step: string }) => s.step === 'ticket_created');
    expect(created.detail.psaTicketId).toBe(closed!.psaTicketId);
  });

  test('flapping: a failure soon after our close reopens the same ticket instead of opening another', async () => {
    const { orgs } = await mappedOrganization(psa);
    const sim = simControls(psa, stack.sims);
    const org = orgs[1];
    const raise1 = alertEvent(org, 'backup_overdue', 'raised');
    await rig.alerts.reportAlert(raise1);
    await handled(raise1.eventId);
    const recover1 = alertEvent(org, 'backup_overdue', 'recovered');
    await rig.alerts.reportAlert(recover1);
    expect((await handled(recover1.eventId)).outcome).toBe('closed');
    const raise2 = alertEvent(org, 'backup_overdue', 'raised');
    await rig.alerts.reportAlert(raise2);
    expect((await handled(raise2.eventId)).outcome).toBe('ticket_reopened');
    const marker = ticketMarker(org, 'backup_overdue', 1);
    const t = await ticketOf(marker);
    expect(t?.state).toBe('open');
    expect(sim.isClosed(t!.psaTicketId)).toBe(false);
    expect(sim.ticketsWithMarker(marker)).toBe(1);
    expect(await stack.db.selectFrom('tickets').select('id').where('organizationId', '=', org).where('problem', '=', 'backup_overdue').execute()).toHaveLength(1);
    const recover2 = alertEvent(org, 'backup_overdue', 'recovered');
    await rig.alerts.reportAlert(recover2);
    expect((await handled(recover2.eventId)).outcome).toBe('closed');
    expect(await auditActions(marker)).toEqual(['ticket.create', 'ticket.close', 'ticket.reopen', 'ticket.close']);
  });

  test("a technician's work stays known after our own later note hides it from the PSA record", async () => {
    const { orgs } = await mappedOrganization(psa);
    const sim = simControls(psa, stack.sims);
    const org = orgs[1];
    const raise = alertEvent(org, 'site_unreachable', 'raised');
    await rig.alerts.reportAlert(raise);
    await handled(raise.eventId);
    const marker = ticketMarker(org, 'site_unreachable', 1);
    const t = (await ticketOf(marker))!;
    expect(t.touchedByOthers).toBe(false);
    await new Promise((r) => setTimeout(r, 5)); // a later clock tick than our create (HaloPSA compares stamps)
    await sim.technicianTouches(t.psaTicketId);
    // Our repeat note is now the ticket's latest change; the check before it kept the technician's.
    const repeat = alertEvent(org, 'site_unreachable', 'raised');
    await rig.alerts.reportAlert(repeat);
    expect((await handled(repeat.eventId)).outcome).toBe('noted');
    expect((await ticketOf(marker))?.touchedByOthers).toBe(true);
    const recover = alertEvent(org, 'site_unreachable', 'recovered');
    await rig.alerts.reportAlert(recover);
    expect((await handled(recover.eventId)).outcome).toBe('recovery_noted');
    expect(sim.isClosed(t.psaTicketId)).toBe(false);
    expect(await auditActions(marker)).toEqual(['ticket.create', 'ticket.note', 'ticket.note']);
  });

  test('a note whose answer is lost is found by its token on the retry, not written twice', async () => {
    const { orgs } = await mappedOrganization(psa);
    const sim = simControls(psa, stack.sims);
    const org = orgs[2];
    const raise = alertEvent(org, 'seats_above_plan', 'raised');
    await rig.alerts.reportAlert(raise);
    await handled(raise.eventId);
    const marker = ticketMarker(org, 'seats_above_plan', 1);
    const t = (await ticketOf(marker))!;
    // The next POST is the note: the PSA saves it, the answer never arrives.
    stack.sims[psa].server.addFault({ kind: 'commit_then_drop', method: 'POST', times: 1 });
    const repeat = alertEvent(org, 'seats_above_plan', 'raised');
    await rig.alerts.reportAlert(repeat);
    expect((await handled(repeat.eventId)).outcome).toBe('noted');
    stack.sims[psa].server.clearFaults();
    const token = `${marker}#note-1`;
    expect(sim.notesContaining(t.psaTicketId, token)).toBe(1);
    expect(await ticketOf(marker)).toMatchObject({ noteCount: 1, pendingNote: null });
  });
});

describe.each(['connectwise', 'autotask', 'halopsa'] as const)('%s: the PSA closes the ticket first and calls our webhook', (psa) => {
  // Polling an hour away: only the PSA's own call can tell the run before the test ends.
  let hooked: TicketRig;
  beforeAll(async () => {
    hooked = await startTicketRig(stack, { pollIntervalMs: 60 * 60_000 });
  });
  afterAll(() => hooked?.stop());

  async function openedTicket(org: string, problem: 'backup_failed' | 'mailbox_unreachable') {
    const raise = alertEvent(org, problem, 'raised');
    await hooked.alerts.reportAlert(raise);
    expect((await handled(raise.eventId)).outcome).toBe('ticket_created');
    return (await ticketOf(ticketMarker(org, problem, 1)))!;
  }

  /** The run ended on the PSA's word: its webhook call was answered 200 and signalled the run. */
  async function endedByWebhook(org: string, problem: 'backup_failed' | 'mailbox_unreachable', t: { connectionId: string; psaTicketId: string }) {
    const handle = stack.client.workflow.getHandle(serviceTicketWorkflowId(org, problem));
    await waitFor('the run to end on the webhook', async () => (await handle.describe()).status.name !== 'RUNNING', 20_000);
    expect((await handle.result()).stopReason).toBe('closed_in_psa');
    const ours = webhookDeliveries(psa, stack.sims, t.psaTicketId).filter((d) => d.url.startsWith(webhookUrl(t.connectionId)));
    expect(ours.filter((d) => d.status === 200).length).toBeGreaterThanOrEqual(1);
    const signals = ((await handle.fetchHistory()).events ?? []).filter((e) => e.workflowExecutionSignaledEventAttributes?.signalName === psaTicketChangedSignal.name);
    expect(signals.length).toBeGreaterThanOrEqual(1);
  }

  test('the alert still active: the run tells the platform to reset it, records the close and ends', async () => {
    const { orgs, fx } = await mappedOrganization(psa);
    const org = orgs[0];
    const t = await openedTicket(org, 'backup_failed');
    await technicianClosesThroughApi(psa, stack.sims, t.psaTicketId, fx.ticketMapping.closedStatus as string);
    await endedByWebhook(org, 'backup_failed', t);
    expect(await ticketOf(t.marker)).toMatchObject({ state: 'closed', closedBy: 'psa', touchedByOthers: true });
    expect(hooked.platform.calls.filter((c) => c.organizationId === org)).toEqual([
      expect.objectContaining({ type: 'alert.reset', organizationId: org, problem: 'backup_failed', psaTicketId: t.psaTicketId, reason: 'closed_in_psa', idempotencyKey: `alert-reset:${t.id}` }),
    ]);
    expect(await auditActions(t.marker)).toEqual(['ticket.create', 'ticket.closed_in_psa']);
  });

  test('the alert recovered and the ticket left open for the technician: the run ends without telling the platform', async () => {
    const { orgs, fx } = await mappedOrganization(psa);
    const sim = simControls(psa, stack.sims);
    const org = orgs[1];
    const t = await openedTicket(org, 'mailbox_unreachable');
    await sim.technicianTouches(t.psaTicketId);
    const recover = alertEvent(org, 'mailbox_unreachable', 'recovered');
    await hooked.alerts.reportAlert(recover);
    expect((await handled(recover.eventId)).outcome).toBe('recovery_noted');
    expect(sim.isClosed(t.psaTicketId)).toBe(false);
    await technicianClosesThroughApi(psa, stack.sims, t.psaTicketId, fx.ticketMapping.closedStatus as string);
    await endedByWebhook(org, 'mailbox_unreachable', t);
    expect(await ticketOf(t.marker)).toMatchObject({ state: 'closed', closedBy: 'psa' });
    expect(hooked.platform.calls.filter((c) => c.organizationId === org)).toEqual([]);
  });
});

test('the PSA closing an active alert first, with no webhook call: the polling backstop finds it, resets the alert on the platform and ends the run', async () => {
  const local = await startTicketRig(stack, { pollIntervalMs: 1_000 });
  try {
    const { orgs, fx } = await mappedOrganization('halopsa');
    const sim = simControls('halopsa', stack.sims);
    const org = orgs[0];
    const raise = alertEvent(org, 'site_unreachable', 'raised');
    await local.alerts.reportAlert(raise);
    await handled(raise.eventId);
    const marker = ticketMarker(org, 'site_unreachable', 1);
    const t = (await ticketOf(marker))!;
    // The connection's webhook is switched off in HaloPSA: the close is known only by reading the ticket.
    const { webhookSubscriptionId } = await stack.db.selectFrom('connections').select('webhookSubscriptionId').where('id', '=', fx.connectionId).executeTakeFirstOrThrow();
    const hook = stack.sims.halopsa.state.data.webhooks.find((w) => w.id === webhookSubscriptionId);
    expect(hook).toBeDefined();
    hook!.active = false;
    const ours = () => webhookDeliveries('halopsa', stack.sims, t.psaTicketId).filter((d) => d.url.startsWith(webhookUrl(fx.connectionId)));
    const deliveriesBefore = ours().length;
    await sim.closeInPsa(t.psaTicketId);
    const result = await stack.client.workflow.getHandle(serviceTicketWorkflowId(org, 'site_unreachable')).result();
    expect(result.stopReason).toBe('closed_in_psa');
    expect(ours()).toHaveLength(deliveriesBefore);
    expect(await ticketOf(marker)).toMatchObject({ state: 'closed', closedBy: 'psa' });
    expect(local.platform.calls).toEqual([
      expect.objectContaining({ type: 'alert.reset', organizationId: org, problem: 'site_unreachable', psaTicketId: t.psaTicketId, idempotencyKey: `alert-reset:${t.id}` }),
    ]);
    expect(await auditActions(marker)).toEqual(['ticket.create', 'ticket.closed_in_psa']);
    // A new failure afterwards is a new episode with a new ticket.
    const again = alertEvent(org, 'site_unreachable', 'raised');
    await local.alerts.reportAlert(again);
    expect((await handled(again.eventId)).outcome).toBe('ticket_created');
    expect(sim.ticketsWithMarker(ticketMarker(org, 'site_unreachable', 2))).toBe(1);
  } finally {
    await local.stop();
  }
});

describe('connectwise: the close without a read, trusting the ticket callbacks', () => {
  const cw = () => stack.sims.connectwise;
  /** Our requests about one ticket since `from` (the simulator's request log). */
  const callsOn = (psaTicketId: string, from: number) =>
    cw()
      .server.log.slice(from)
      .filter((e) => new RegExp(`/service/tickets/${psaTicketId}(/|$)`).test(e.path))
      .map((e) => `${e.method} ${e.path.replace(/^.*\/service\/tickets\/\d+/, '')}`.trim());

  async function openTicket(problem: 'backup_failed' | 'backup_overdue' | 'mailbox_unreachable') {
    const { orgs, fx } = await mappedOrganization('connectwise');
    const org = orgs[0];
    const raise = alertEvent(org, problem, 'raised');
    await rig.alerts.reportAlert(raise);
    expect((await handled(raise.eventId)).outcome).toBe('ticket_created');
    const marker = ticketMarker(org, problem, 1);
    const row = (await ticketOf(marker))!;
    expect((await stack.db.selectFrom('connections').select('webhookSubscriptionId').where('id', '=', row.connectionId).executeTakeFirstOrThrow()).webhookSubscriptionId).toMatch(/^\d+$/);
    return { org, fx, marker, row };
  }

  test('callbacks live and nobody reported: closed in two calls, the status then the resolution note', async () => {
    const { org, marker, row } = await openTicket('backup_failed');
    const from = cw().server.log.length;
    const recover = alertEvent(org, 'backup_failed', 'recovered');
    await rig.alerts.reportAlert(recover);
    expect((await handled(recover.eventId)).outcome).toBe('closed');
    expect(callsOn(row.psaTicketId, from)).toEqual(['PATCH', 'POST /notes']);
    expect(cw().state.ticket(Number(row.psaTicketId)).closedFlag).toBe(true);
    const notes = cw().state.data.notes.filter((n) => n.ticketId === Number(row.psaTicketId) && n.text.includes(`${marker}#note-1`));
    expect(notes).toHaveLength(1);
    expect(notes[0]).toMatchObject({ resolutionFlag: true });
  });

  test('a technician note reported by callback: the row is marked at once and the recovery only notes', async () => {
    const { org, marker, row } = await openTicket('backup_overdue');
    await simControls('connectwise', stack.sims).technicianTouches(row.psaTicketId);
    expect((await ticketOf(marker))?.touchedByOthers).toBe(true);
    const recover = alertEvent(org, 'backup_overdue', 'recovered');
    await rig.alerts.reportAlert(recover);
    expect((await handled(recover.eventId)).outcome).toBe('recovery_noted');
    expect(cw().state.ticket(Number(row.psaTicketId)).closedFlag).toBe(false);
  });

  test('a callback that never came: the close shows the assignment, so the status goes back and the note stays', async () => {
    const { org, fx, marker, row } = await openTicket('mailbox_unreachable');
    // ConnectWise switched the callback off (it does after days of failed deliveries); a technician assigns themselves.
    for (const cb of cw().state.data.callbacks) cb.inactiveFlag = true;
    try {
      cw().state.technicianAssign(Number(row.psaTicketId));
      expect((await ticketOf(marker))?.touchedByOthers).toBe(false);
      const from = cw().server.log.length;
      const recover = alertEvent(org, 'mailbox_unreachable', 'recovered');
      await rig.alerts.reportAlert(recover);
      expect((await handled(recover.eventId)).outcome).toBe('recovery_noted');
      expect(callsOn(row.psaTicketId, from)).toEqual(['PATCH', 'PATCH', 'POST /notes']);
      const t = cw().state.ticket(Number(row.psaTicketId));
      expect(t.closedFlag).toBe(false);
      expect(String(t.status.id)).toBe(fx.ticketMapping.status);
      expect(await ticketOf(marker)).toMatchObject({ state: 'open', touchedByOthers: true });
    } finally {
      for (const cb of cw().state.data.callbacks) cb.inactiveFlag = false;
    }
  });

  test('the close note whose answer is lost is found by its token on the retry: closed, one note', async () => {
    const { org, marker, row } = await openTicket('backup_failed');
    cw().server.addFault({ kind: 'commit_then_drop', method: 'POST', path: '/notes$', times: 1 });
    const from = cw().server.log.length;
    const recover = alertEvent(org, 'backup_failed', 'recovered');
    await rig.alerts.reportAlert(recover);
    expect((await handled(recover.eventId)).outcome).toBe('closed');
    expect(callsOn(row.psaTicketId, from)).toEqual(['PATCH', 'POST /notes', 'GET /notes', 'GET']);
    expect(cw().state.data.notes.filter((n) => n.ticketId === Number(row.psaTicketId) && n.text.includes(`${marker}#note-1`))).toHaveLength(1);
    expect(await ticketOf(marker)).toMatchObject({ state: 'closed', closedBy: 'engine', noteCount: 1 });
  });
});

describe('a ticket write whose result never reached the run is not made again when the call runs again', () => {
  // Each write below lands (PSA call, row, audit, the alert's outcome) and then its result is
  // lost once, as when a worker dies before its workflow task completes: the call runs again.
  let lossy: TicketRig;
  const lost = new Set<string>();
  beforeAll(async () => {
    lossy = await startTicketRig(stack, {}, (activities) => {
      const loseOnce =
        <A extends unknown[], R>(name: string, fn: (...args: A) => Promise<R>) =>
        async (...args: A): Promise<R> => {
          const result = await fn(...args);
          const key = `${name}:${JSON.stringify(args)}`;
          if (lost.has(key)) return result;
          lost.add(key);
          throw new Error(`the result of ${name} was lost`);
        };
      return {
        ...activities,
        addServiceTicketNote: loseOnce('note', activities.addServiceTicketNote),
        closeServiceTicket: loseOnce('close', activities.closeServiceTicket),
        reopenServiceTicket: loseOnce('reopen', activities.reopenServiceTicket),
      };
    });
  });
  afterAll(() => lossy?.stop());

  test.each(['connectwise', 'autotask', 'halopsa'] as const)('%s: one note, one close, one reopen, one note-only recovery', async (psa) => {
    const { orgs } = await mappedOrganization(psa);
    const sim = simControls(psa, stack.sims);
    const org = orgs[0];
    const lostBefore = lost.size;
    const report = async (event: 'raised' | 'recovered') => {
      const e = alertEvent(org, 'backup_failed', event);
      await lossy.alerts.reportAlert(e);
      return (await handled(e.eventId)).outcome;
    };
    expect(await report('raised')).toBe('ticket_created');
    const marker = ticketMarker(org, 'backup_failed', 1);
    const t = (await ticketOf(marker))!;
    expect(await report('raised')).toBe('noted');
    expect(await report('recovered')).toBe('closed');
    expect(sim.isClosed(t.psaTicketId)).toBe(true);
    expect(await report('raised')).toBe('ticket_reopened');
    await sim.technicianTouches(t.psaTicketId);
    expect(await report('recovered')).toBe('recovery_noted');
    expect(await auditActions(marker)).toEqual(['ticket.create', 'ticket.note', 'ticket.close', 'ticket.reopen', 'ticket.note']);
    expect(sim.notesContaining(t.psaTicketId, 'is failing again')).toBe(1);
    const row = (await ticketOf(marker))!;
    // Every tokened note of ours is in the PSA once (ConnectWise's close note is one of them).
    expect(row.noteCount).toBe(psa === 'connectwise' ? 3 : 2);
    for (let n = 1; n <= row.noteCount; n += 1) expect({ n, inPsa: sim.notesContaining(t.psaTicketId, `${marker}#note-${n}`) }).toEqual({ n, inPsa: 1 });
    expect(sim.notesContaining(t.psaTicketId, `${marker}#note-${row.noteCount + 1}`)).toBe(0);
    // The note, the close, the reopen and the note-only recovery each lost their first result.
    expect(lost.size - lostBefore).toBe(4);
  });
});

test('the status query reports the open ticket and buffered repeats', async () => {
  const { orgs } = await mappedOrganization('connectwise');
  const org = orgs[0];
  const raise = alertEvent(org, 'seats_above_plan', 'raised');
  await rig.alerts.reportAlert(raise);
  await handled(raise.eventId);
  await rig.alerts.reportAlert(alertEvent(org, 'seats_above_plan', 'raised'));
  const handle = stack.client.workflow.getHandle(serviceTicketWorkflowId(org, 'seats_above_plan'));
  const status = await waitFor('buffered repeat', async () => {
    const s = await handle.query(serviceTicketStatusQuery);
    return s.bufferedRepeats === 1 ? s : null;
  });
  expect(status).toMatchObject({ phase: 'open', episode: 1 });
  expect(status.psaTicketId).toBe((await ticketOf(ticketMarker(org, 'seats_above_plan', 1)))?.psaTicketId);
});
