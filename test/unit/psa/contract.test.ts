/**
 * One contract, three vendors: every capability and every error class of the PsaAdapter
 * interface, run against each adapter talking real HTTP to its simulator.
 */
import { randomUUID } from 'node:crypto';
import type { MappingKind, PsaAdapter } from '../../../psa/core/types';
import { PsaAuthError, PsaNotFoundError, PsaRateLimitedError, PsaUnavailableError } from '../../../psa/core/errors';
import type { ContractHarness } from './harness/types';
import { createConnectWiseHarness } from './harness/connectwise';
import { createAutotaskHarness } from './harness/autotask';
import { createHaloPsaHarness } from './harness/halopsa';

const harnesses: [string, () => ContractHarness][] = [
  ['connectwise', createConnectWiseHarness],
  ['autotask', createAutotaskHarness],
  ['halopsa', createHaloPsaHarness],
];

describe.each(harnesses)('%s adapter contract', (_name, create) => {
  const h = create();
  let adapter: PsaAdapter;

  beforeAll(async () => {
    await h.start();
    adapter = await h.adapter({ key: `contract-${randomUUID()}` });
  });
  afterAll(() => h.stop());
  beforeEach(() => {
    h.sim.clearFaults();
    h.unlockApiUser();
    h.restoreCapabilities();
  });

  const draft = (marker = `psa-sync:${randomUUID()}`) => ({
    marker,
    title: 'Backup failed for Contoso',
    description: 'The nightly backup of 3 mailboxes failed.',
    organization: h.fixtures.organization,
    ticketMapping: h.fixtures.ticketMapping,
  });

  test('tests the connection and reports the account', async () => {
    const info = await adapter.testConnection();
    expect(info.accountName.length).toBeGreaterThan(0);
  });

  test('wrong credentials are a non-retryable PsaAuthError', async () => {
    const bad = await h.badCredentialsAdapter();
    const err = await bad.testConnection().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PsaAuthError);
    expect((err as PsaAuthError).retryable).toBe(false);
  });

  test('a locked / inactive API user is an auth error that disables the account', async () => {
    h.lockApiUser();
    const locked = await h.adapter({ key: `locked-${randomUUID()}` });
    const err = await locked.testConnection().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PsaAuthError);
    expect((err as PsaAuthError).accountDisabled).toBe(true);
  });

  test('the permission probe grants everything, then names a revoked right', async () => {
    expect((await adapter.probePermissions()).missing).toEqual([]);
    h.revokeCapability('tickets');
    const report = await (await h.adapter({ key: `perm-${randomUUID()}` })).probePermissions();
    expect(report.missing.map((m) => m.capability)).toContain('tickets');
    expect(report.missing.find((m) => m.capability === 'tickets')?.detail.length).toBeGreaterThan(10);
    expect(report.granted).not.toContain('tickets');
  });

  test("write rights are probed without writing: the import's billing writes are named as limited, seat sync's refuse", async () => {
    const fresh = () => h.adapter({ key: `writes-${randomUUID()}` });
    const clean = await (await fresh()).probePermissions();
    expect(clean).toMatchObject({ missing: [], limited: [] });
    expect(await (await fresh()).companies?.().importBillingRights()).toEqual([]);
    try {
      h.sim.log.length = 0;
      h.revokeBillingWrites('create');
      const report = await (await fresh()).probePermissions();
      if (h.importBillingRights.length > 0) {
        expect(report.missing).toEqual([]);
        expect(report.granted).toContain('billing');
        expect(report.limited.map((l) => [l.feature, l.right])).toEqual(h.importBillingRights.map((r) => ['import_billing', r]));
        for (const l of report.limited) expect(l.detail).toContain(l.right);
        expect((await (await fresh()).companies?.().importBillingRights())?.map((m) => m.right)).toEqual([...h.importBillingRights]);
      } else {
        // HaloPSA has one licence level: read-only stops seat sync too, so it is a missing right.
        expect(report.missing.map((m) => m.capability)).toEqual(['billing']);
        expect(report.missing[0]?.detail).toMatch(/Read and Modify/);
        expect(report.limited).toEqual([]);
      }
      h.restoreCapabilities();
      h.revokeBillingWrites('all');
      const none = await (await fresh()).probePermissions();
      expect(none.missing.map((m) => m.capability)).toEqual(['billing']);
      expect(none.granted).not.toContain('billing');
      // Probing wrote nothing: every request was a read or was refused.
      expect(h.sim.log.filter((e) => e.method !== 'GET' && !/query|token/i.test(e.path) && e.status < 400)).toEqual([]);
    } finally {
      h.restoreCapabilities();
    }
  });

  const fixtureFor = (kind: MappingKind) =>
    kind === 'ticket' ? h.fixtures.ticketMapping : kind === 'plan' ? h.fixtures.planMapping : h.fixtures.organization;

  test.each<MappingKind>(['ticket', 'plan', 'organization'])('every %s field offers options and finds the fixture values', async (kind) => {
    const values = fixtureFor(kind);
    for (const field of adapter.fields[kind]) {
      if (field.type !== 'picklist') continue;
      const parents = Object.fromEntries(field.dependsOn.map((d) => [d, values[d] as string]));
      const page = await adapter.options(kind, field.name, { parents });
      expect([kind, field.name, page.items.length > 0]).toEqual([kind, field.name, true]);
      const chosen = values[field.name];
      expect([field.name, chosen]).toEqual([field.name, expect.any(String)]);
      const found = await adapter.option(kind, field.name, chosen as string, parents);
      expect(found?.id).toBe(chosen);
      expect(await adapter.option(kind, field.name, '987654321', parents)).toBeNull();
    }
  });

  test('ticket mapping includes status and closedStatus; HaloPSA maps no plans', () => {
    const names = adapter.fields.ticket.map((f) => f.name);
    expect(names).toEqual(expect.arrayContaining(['status', 'closedStatus']));
    expect(adapter.fields.plan.length === 0).toBe(h.psa === 'halopsa');
    expect(adapter.fields.organization.length).toBeGreaterThanOrEqual(2);
  });

  test('company options page through every record without repeats, and search narrows them', async () => {
    const field = adapter.fields.organization[0]!;
    const ids: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page = await adapter.options('organization', field.name, { pageSize: 10, cursor });
      ids.push(...page.items.map((o) => o.id));
      cursor = page.nextCursor;
      pages += 1;
    } while (cursor && pages < 50);
    expect(pages).toBeGreaterThan(1);
    expect(new Set(ids).size).toBe(ids.length);
    const first = (await adapter.option('organization', field.name, ids[0]!))!;
    const term = first.name.slice(0, Math.min(5, first.name.length));
    const found = await adapter.options('organization', field.name, { search: term });
    expect(found.items.length).toBeGreaterThan(0);
    expect(found.items.length).toBeLessThan(ids.length);
    for (const o of found.items) expect(o.name.toLowerCase()).toContain(term.toLowerCase());
  });

  test('a ticket is created once, found by its marker, noted, closed and re-opened', async () => {
    const d = draft();
    expect(await adapter.findTicketByMarker(d.marker)).toBeNull();
    const ticket = await adapter.createTicket(d);
    expect(ticket.closed).toBe(false);
    expect((await adapter.findTicketByMarker(d.marker))?.id).toBe(ticket.id);
    expect(h.ticketsWithMarker(d.marker)).toBe(1);
    await adapter.addTicketNote(ticket.id, 'The backup failed again.');
    expect((await adapter.getTicket(ticket.id)).touchedByOthers).toBe(false);
    const closed = await adapter.closeTicket(ticket.id, h.fixtures.ticketMapping.closedStatus as string, 'Backup recovered.');
    expect(closed.closed).toBe(true);
    expect(closed.statusId).toBe(h.fixtures.ticketMapping.closedStatus);
    const reopened = await adapter.reopenTicket(ticket.id, h.fixtures.ticketMapping.status as string, 'It failed again.');
    expect(reopened.closed).toBe(false);
  });

  test('work by a technician is visible as touchedByOthers; a close in the PSA shows as closed', async () => {
    const ticket = await adapter.createTicket(draft());
    h.technicianTouches(ticket.id);
    expect((await adapter.getTicket(ticket.id)).touchedByOthers).toBe(true);
    await h.closeInPsa(ticket.id);
    expect((await adapter.getTicket(ticket.id)).closed).toBe(true);
  });

  test('checkTicket: one read says untouched after our own writes, touched after a technician, closed after a close', async () => {
    const tick = () => new Promise((r) => setTimeout(r, 5));
    const ticket = await adapter.createTicket(draft());
    const { watermark } = await adapter.addTicketNote(ticket.id, 'The backup failed again.');
    await adapter.checkTicket(ticket.id, watermark); // one-off lookups (Autotask's own resource id)
    const before = h.sim.log.length;
    expect(await adapter.checkTicket(ticket.id, watermark)).toEqual({ closed: false, touchedByOthers: false });
    expect(h.sim.log.length - before).toBe(1);
    await tick();
    h.technicianTouches(ticket.id);
    expect(await adapter.checkTicket(ticket.id, watermark)).toEqual({ closed: false, touchedByOthers: true });

    // Our own close, its answer never seen by the caller: closed, and nobody else's doing.
    const mine = await adapter.createTicket(draft());
    await tick();
    await adapter.closeTicket(mine.id, h.fixtures.ticketMapping.closedStatus as string, 'Backup recovered.');
    expect(await adapter.checkTicket(mine.id, mine.watermark)).toEqual({ closed: true, touchedByOthers: false });

    const theirs = await adapter.createTicket(draft());
    await tick();
    await h.closeInPsa(theirs.id);
    expect(await adapter.checkTicket(theirs.id, theirs.watermark)).toMatchObject({ closed: true, touchedByOthers: true });
  });

  test('findNote finds our note by the token in its text, and only that one', async () => {
    const ticket = await adapter.createTicket(draft());
    await adapter.addTicketNote(ticket.id, 'The backup failed again.\n(ref t-1#note-1)');
    expect(await adapter.findNote(ticket.id, 't-1#note-1')).not.toBeNull();
    expect(await adapter.findNote(ticket.id, 't-1#note-2')).toBeNull();
  });

  test('a create whose answer is lost still exists once, and is adopted by marker', async () => {
    const d = draft();
    h.sim.addFault({ kind: 'commit_then_drop', method: 'POST', times: 1 });
    await expect(adapter.createTicket(d)).rejects.toBeInstanceOf(PsaUnavailableError);
    const adopted = await adapter.findTicketByMarker(d.marker);
    expect(adopted).not.toBeNull();
    expect(h.ticketsWithMarker(d.marker)).toBe(1);
  });

  test('a 5xx on a write is PsaUnavailableError; on a read it is retried away', async () => {
    h.sim.addFault({ kind: 'status', status: 503, method: 'POST', times: 1 });
    await expect(adapter.createTicket(draft())).rejects.toBeInstanceOf(PsaUnavailableError);
    h.sim.addFault({ kind: 'status', status: 502, method: 'GET', times: 1 });
    expect(await adapter.getQuantity(h.fixtures.organization)).toEqual(expect.any(Number));
  });

  test('a short 429 is waited out; a long one surfaces PsaRateLimitedError with its delay', async () => {
    h.sim.addFault({ kind: 'rate_limit', retryAfterSec: 1, times: 1 });
    await expect(adapter.getQuantity(h.fixtures.organization)).resolves.toEqual(expect.any(Number));
    const fresh = await h.adapter({ key: `rl-${randomUUID()}` });
    h.sim.addFault({ kind: 'rate_limit', retryAfterSec: 3600, times: 1 });
    const err = await fresh.getQuantity(h.fixtures.organization).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PsaRateLimitedError);
    expect((err as PsaRateLimitedError).retryAfterMs).toBe(3_600_000);
  });

  test('quantity is read and set to an absolute value, idempotently', async () => {
    const org = h.fixtures.organization;
    const start = await adapter.getQuantity(org);
    const first = await adapter.setQuantity(org, start + 5);
    expect(first).toEqual({ previous: start, current: start + 5 });
    expect(await adapter.getQuantity(org)).toBe(start + 5);
    const again = await adapter.setQuantity(org, start + 5);
    expect(again).toEqual({ previous: start + 5, current: start + 5 });
    await adapter.setQuantity(org, start);
  });

  test('a burst never exceeds the configured budget', async () => {
    const limited = await h.adapter({ key: `gov-${randomUUID()}`, limits: { maxRequests: 4, windowMs: 1000 } });
    await limited.getQuantity(h.fixtures.organization); // warm up auth / zone lookup
    h.sim.log.length = 0;
    const started = Date.now();
    await Promise.all(Array.from({ length: 6 }, () => limited.getQuantity(h.fixtures.organization)));
    const times = h.sim.log.map((l) => l.at).sort((a, b) => a - b);
    for (let i = 0; i < times.length; i += 1) {
      const inWindow = times.filter((t) => t >= (times[i] as number) && t < (times[i] as number) + 1000).length;
      expect(inWindow).toBeLessThanOrEqual(4);
    }
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
  });

  test('billing lists quantities in one pass; a missing object is broken; a set from the listed line is absolute', async () => {
    const org = h.fixtures.organization;
    const missing = Object.fromEntries(Object.keys(org).map((k) => [k, '999999']));
    const quantity = await adapter.getQuantity(org);
    const before = h.sim.log.length;
    const snapshot = await adapter.billing([org, missing, org]);
    expect(snapshot.calls).toBe(h.sim.log.length - before);
    expect(snapshot.states[0]).toMatchObject({ state: 'ok', line: { quantity } });
    expect(snapshot.states[2]).toEqual(snapshot.states[0]);
    expect(snapshot.states[1]).toMatchObject({ state: 'broken', reason: expect.any(String) });
    const line = snapshot.states[0]?.state === 'ok' ? snapshot.states[0].line : null;
    expect(await adapter.setBillingQuantity(org, quantity + 2, line as NonNullable<typeof line>)).toEqual({ previous: quantity, current: quantity + 2 });
    expect(await adapter.getQuantity(org)).toBe(quantity + 2);
    await adapter.setQuantity(org, quantity);
    expect(await adapter.billing([])).toEqual({ states: [], calls: 0 });
  });

  test('an inactive company / contract / customer is inactiveParents\' to find (the health check), not billing\'s', async () => {
    const org = h.fixtures.organization;
    const missing = Object.fromEntries(Object.keys(org).map((k) => [k, '999999']));
    expect(await adapter.inactiveParents([])).toEqual({ inactive: [], calls: 0 });
    expect((await adapter.inactiveParents([org])).inactive).toEqual([null]);
    const restore = h.deactivateParent();
    try {
      const before = h.sim.log.length;
      const parents = await adapter.inactiveParents([org, missing]);
      expect(parents.calls).toBe(h.sim.log.length - before);
      expect(parents.inactive[0]).toMatch(/inactive/);
      // The billing pass makes no parent list: the billing object itself is still billable.
      expect((await adapter.billing([org])).states[0]).toMatchObject({ state: 'ok' });
    } finally {
      restore();
    }
    expect((await adapter.inactiveParents([org])).inactive).toEqual([null]);
  });

  test('a deleted billing object is PsaNotFoundError', async () => {
    h.deleteBillingObject();
    await expect(adapter.getQuantity(h.fixtures.organization)).rejects.toBeInstanceOf(PsaNotFoundError);
    expect((await adapter.billing([h.fixtures.organization])).states[0]).toMatchObject({ state: 'broken' });
  });
});
