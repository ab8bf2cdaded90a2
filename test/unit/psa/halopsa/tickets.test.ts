import { PsaConfigError, PsaNotFoundError, PsaValidationError } from '../../../../psa/core/errors';
import type { PsaAdapter, TicketDraft } from '../../../../psa/core/types';
import { API_AGENT_ID, SEED_FIXTURES } from '../../../../sims/halopsa';
import { apiCalls, caught, useHalo } from './helpers';

let seq = 0;
const draft = (over: Partial<TicketDraft> = {}): TicketDraft => ({
  marker: `psa-sync:org-101:backup-failed:${(seq += 1)}`,
  title: 'Backup failed for Acme Dental',
  description: 'Mailbox backup failed.\nError: <quota exceeded>',
  organization: { ...SEED_FIXTURES.organization },
  ticketMapping: { ...SEED_FIXTURES.ticketMapping },
  ...over,
});

describe('HaloPSA tickets', () => {
  const h = useHalo();
  let adapter: PsaAdapter;
  beforeAll(async () => {
    adapter = await h.adapter({ key: 'tickets' });
    await adapter.testConnection();
  });
  beforeEach(() => h.sim.reset());

  it('opens a ticket in at most 2 requests and stores the marker in third_party_id', async () => {
    const d = draft();
    expect(await adapter.findTicketByMarker(d.marker)).toBeNull();
    const t = await adapter.createTicket(d);
    expect(apiCalls(h.sim.log)).toEqual(['GET /api/tickets', 'POST /api/tickets']);
    expect(h.sim.log[0]?.query).toContain(`third_party_id=${encodeURIComponent(d.marker)}`);
    expect(t).toMatchObject({ marker: d.marker, statusId: '1', closed: false, touchedByOthers: false });
    const stored = h.halo.state.ticket(Number(t.id));
    expect(stored).toMatchObject({
      third_party_id: d.marker,
      client_id: 101,
      tickettype_id: 21,
      sla_id: 3,
      priority_id: 2,
      status_id: 1,
      summary: d.title,
    });
    expect(stored?.details_html).toBe('<p>Mailbox backup failed.<br>Error: &lt;quota exceeded&gt;</p>');
  });

  it('finds the ticket again by marker, exactly (no prefix matches)', async () => {
    const d = draft();
    const created = await adapter.createTicket(d);
    await adapter.createTicket(draft({ marker: `${d.marker}-other` }));
    const found = await adapter.findTicketByMarker(d.marker);
    expect(found?.id).toBe(created.id);
    expect(h.ticketsWithMarker(d.marker)).toBe(1);
  });

  it('notes are internal-note actions (outcome 7) hidden from the end user', async () => {
    const t = await adapter.createTicket(draft());
    h.sim.reset();
    await adapter.addTicketNote(t.id, 'Backup failed again');
    expect(apiCalls(h.sim.log)).toEqual(['POST /api/actions']);
    const note = h.halo.state.data.actions.filter((a) => a.ticket_id === Number(t.id) && !a.systemaction).pop();
    expect(note).toMatchObject({ outcome_id: 7, hiddenfromuser: true, who_agentid: API_AGENT_ID, note_html: '<p>Backup failed again</p>' });
  });

  it('closes and re-opens with one Action each: the note carries new_status', async () => {
    const t = await adapter.createTicket(draft());
    h.sim.reset();
    const closed = await adapter.closeTicket(t.id, SEED_FIXTURES.ticketMapping.closedStatus, 'Backup succeeded');
    expect(apiCalls(h.sim.log)).toEqual(['POST /api/actions']);
    expect(closed).toMatchObject({ id: t.id, statusId: '9', closed: true, watermark: expect.any(String) });
    expect(h.halo.state.ticket(Number(t.id))).toMatchObject({ hasbeenclosed: true, status_id: 9 });
    expect(h.halo.state.ticket(Number(t.id))?.dateclosed).toEqual(expect.any(String));
    const action = h.halo.state.data.actions.filter((a) => a.ticket_id === Number(t.id) && !a.systemaction).pop();
    expect(action).toMatchObject({ outcome_id: 7, new_status: 9, hiddenfromuser: true, note_html: '<p>Backup succeeded</p>' });

    const reopened = await adapter.reopenTicket(t.id, SEED_FIXTURES.ticketMapping.status, 'Failing again');
    expect(reopened).toMatchObject({ statusId: '1', closed: false });
    expect(h.halo.state.ticket(Number(t.id))?.dateclosed).toBeNull();
    expect((await adapter.getTicket(t.id)).closed).toBe(false);
  });

  it('touchedByOthers: false for our own notes, true after a technician note', async () => {
    const t = await adapter.createTicket(draft());
    await adapter.addTicketNote(t.id, 'ours');
    await adapter.closeTicket(t.id, '9', 'ours too');
    expect((await adapter.getTicket(t.id)).touchedByOthers).toBe(false);
    h.technicianTouches(t.id);
    expect((await adapter.getTicket(t.id)).touchedByOthers).toBe(true);
    expect((await adapter.findTicketByMarker(h.halo.state.ticket(Number(t.id))?.third_party_id ?? ''))?.touchedByOthers).toBe(true);
  });

  it('touchedByOthers: true once a technician is assigned', async () => {
    const t = await adapter.createTicket(draft());
    h.halo.state.assign(Number(t.id));
    expect((await adapter.getTicket(t.id)).touchedByOthers).toBe(true);
    expect(await adapter.checkTicket(t.id, t.watermark)).toEqual({ closed: false, touchedByOthers: true });
  });

  describe('checkTicket', () => {
    it('one read while the last action stamp is the one our last write left', async () => {
      const t = await adapter.createTicket(draft());
      const { watermark } = await adapter.addTicketNote(t.id, 'ours');
      expect(watermark).toEqual(expect.any(String));
      h.sim.reset();
      expect(await adapter.checkTicket(t.id, watermark)).toEqual({ closed: false, touchedByOthers: false });
      expect(apiCalls(h.sim.log)).toEqual(['GET /api/tickets/' + t.id]);
    });

    it('a later stamp means a look at the actions: a technician note counts, even after our own next write', async () => {
      const t = await adapter.createTicket(draft());
      await new Promise((r) => setTimeout(r, 5));
      h.technicianTouches(t.id);
      h.sim.reset();
      expect(await adapter.checkTicket(t.id, t.watermark)).toEqual({ closed: false, touchedByOthers: true });
      expect(apiCalls(h.sim.log)).toEqual(['GET /api/tickets/' + t.id, 'GET /api/actions']);
    });

    it('our own close whose answer was lost reads as closed and untouched', async () => {
      const t = await adapter.createTicket(draft());
      await new Promise((r) => setTimeout(r, 5));
      await adapter.closeTicket(t.id, '9', 'ours'); // the caller never saw this answer
      expect(await adapter.checkTicket(t.id, t.watermark)).toEqual({ closed: true, touchedByOthers: false });
    });

    it('a close by a technician reads as closed and touched', async () => {
      const t = await adapter.createTicket(draft());
      await new Promise((r) => setTimeout(r, 5));
      await h.closeInPsa(t.id);
      expect(await adapter.checkTicket(t.id, t.watermark)).toEqual({ closed: true, touchedByOthers: true });
    });

    it('without a watermark the action history decides', async () => {
      const t = await adapter.createTicket(draft());
      h.sim.reset();
      expect(await adapter.checkTicket(t.id, null)).toEqual({ closed: false, touchedByOthers: false });
      expect(apiCalls(h.sim.log)).toEqual(['GET /api/tickets/' + t.id, 'GET /api/actions']);
      await expect(adapter.checkTicket('987654', null)).rejects.toBeInstanceOf(PsaNotFoundError);
    });
  });

  it('a ticket closed in the PSA reads as closed', async () => {
    const t = await adapter.createTicket(draft());
    await h.closeInPsa(t.id);
    expect(await adapter.getTicket(t.id)).toMatchObject({ closed: true, statusId: '9', touchedByOthers: true });
  });

  it('unknown or deleted tickets are PsaNotFoundError', async () => {
    await expect(adapter.getTicket('987654')).rejects.toBeInstanceOf(PsaNotFoundError);
    await expect(adapter.addTicketNote('987654', 'x')).rejects.toBeInstanceOf(PsaNotFoundError);
    await expect(adapter.closeTicket('987654', '9', 'x')).rejects.toBeInstanceOf(PsaNotFoundError);
    await expect(adapter.getTicket('not-an-id')).rejects.toBeInstanceOf(PsaNotFoundError);
  });

  it("Halo's refusals become PsaValidationError with Halo's own words", async () => {
    const noSummary = await caught(adapter.createTicket(draft({ title: '   ' })));
    expect(noSummary).toBeInstanceOf(PsaValidationError);
    expect((noSummary as PsaValidationError).details).toEqual(['A Summary must be entered']);

    const badCustomer = await caught(adapter.createTicket(draft({ organization: { customer: '4040', softwareLicence: '501' } })));
    expect((badCustomer as PsaValidationError).details).toEqual(['Customer 4040 does not exist']);

    const badPriority = await caught(adapter.createTicket(draft({ ticketMapping: { ...SEED_FIXTURES.ticketMapping, priority: '4' } })));
    expect((badPriority as PsaValidationError).details).toEqual(['Priority 4 is not valid for SLA 3']);

    const t = await adapter.createTicket(draft());
    const badStatus = await caught(adapter.closeTicket(t.id, '77', 'x'));
    expect((badStatus as PsaValidationError).details).toEqual(['Status 77 does not exist']);
  });

  it('an incomplete ticket mapping is our configuration error and sends nothing', async () => {
    const { priority: _p, ...mapping } = SEED_FIXTURES.ticketMapping;
    await expect(adapter.createTicket(draft({ ticketMapping: mapping }))).rejects.toBeInstanceOf(PsaConfigError);
    expect(apiCalls(h.sim.log)).toEqual([]);
  });
});
