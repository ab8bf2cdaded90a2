/**
 * The repository statements that do more than one thing at once, on real PostgreSQL: the
 * bookkeeping sent as one statement (all or nothing), the health change seen once however many
 * calls fail together, the webhook claim, alert intake by event id, and the organization
 * mapping that loses a race to another PSA.
 */
import { randomUUID } from 'node:crypto';
import { CamelCasePlugin, Kysely, PostgresDialect } from 'kysely';
import { Pool } from 'pg';
import type { Db } from '../../db/connect';
import type { Database } from '../../db/schema';
import { testConfig, testDb, testKeys } from '../helpers/env';
import { seedTenants, type SeededTenants } from '../helpers/seed';
import { sealCredentials } from '../../security/credentials';
import { auditInsert, ticketAuditTrail } from '../../db/repositories/audit';
import { alertOutcomeWrite, receiveAlert, recordFirstAlertOutcome, recordWebhookReceipt } from '../../db/repositories/alerts';
import {
  claimWebhookSubscription,
  findConnection,
  markUnhealthy,
  releaseWebhookClaim,
  setWebhookSubscription,
} from '../../db/repositories/integrations';
import { deleteAllMappings, mappedOrganizationsOnPlan, organizationMappingOf, saveOrganizationMapping, savePlanMapping, saveTicketMapping } from '../../db/repositories/mappings';
import { openTicketsForEvent, ticketClosedWrite, ticketForWrite, ticketInsertWrite, ticketNotedWrite } from '../../db/repositories/tickets';
import { recordSeatSync, seatStateOf } from '../../db/repositories/seats';
import { partnerChain } from '../../db/repositories/directory';
import { mainWriteId, writeTogether, writeTogetherReturning } from '../../db/repositories/write-together';
import type { PsaKind } from '../../psa/core/types';

let db: Db;
let tenants: SeededTenants;

/** An executor of its own that counts the statements it sends to PostgreSQL. */
const counter = { sent: 0 };
let countingDb: Db;
function counting(): { db: Db; statements: () => number } {
  const start = counter.sent;
  return { db: countingDb, statements: () => counter.sent - start };
}

async function connection(partnerId: string, psa: PsaKind) {
  const id = randomUUID();
  await db
    .insertInto('connections')
    .values({ id, partnerId, psa, status: 'connected', site: '{}', ...sealCredentials(testKeys(), id, { any: 'thing' }), connectedAt: new Date() })
    .execute();
  return id;
}

async function openTicket(connectionId: string, organizationId: string) {
  const marker = `psa-sync:${organizationId}:backup_failed:${randomUUID()}`;
  const [row] = await writeTogetherReturning<{ id: string }>(
    db,
    ticketInsertWrite(db, { connectionId, organizationId, problem: `p-${randomUUID()}`, marker, psaTicketId: String(Math.floor(Math.random() * 1e9)), psaTicketNumber: null, touchedByOthers: false, psaWatermark: null }),
    [],
  );
  return { id: (row as { id: string }).id, marker };
}

beforeAll(async () => {
  db = testDb();
  const pool = new Pool({ connectionString: testConfig().DATABASE_URL, max: 1 });
  countingDb = new Kysely<Database>({
    dialect: new PostgresDialect({ pool }),
    plugins: [new CamelCasePlugin()],
    log: () => {
      counter.sent += 1;
    },
  });
  tenants = await seedTenants(db, { organizationsPerPartner: 3 });
});
afterAll(async () => {
  await db.destroy();
  await countingDb.destroy();
});

describe('bookkeeping sent together', () => {
  test('the ticket row, its audit entry and the alert outcome are one statement, and the alert points at the new row', async () => {
    const partner = tenants.direct;
    const connectionId = await connection(partner.id, 'autotask');
    const organizationId = partner.organizationIds[0] as string;
    const alert = await receiveAlert(db, { eventId: randomUUID(), organizationId, problem: 'backup_failed', event: 'raised', occurredAt: new Date().toISOString(), detail: {} });
    const alertId = alert?.inserted?.id as string;
    const marker = `psa-sync:${organizationId}:backup_failed:1`;
    const c = counting();
    const [row] = await writeTogetherReturning<{ id: string; marker: string }>(
      c.db,
      ticketInsertWrite(c.db, { connectionId, organizationId, problem: 'backup_failed', marker, psaTicketId: '77', psaTicketNumber: 'T77', touchedByOthers: false, psaWatermark: null }),
      [
        auditInsert(c.db, { partnerId: partner.id, connectionId, actor: 'test', action: 'ticket.create', target: `ticket:${marker}`, outcome: 'ok', detail: { psaTicketId: '77' } }),
        alertOutcomeWrite(c.db, { alertIds: [alertId], outcome: 'ticket_created', reason: null, ticketRowId: mainWriteId, detail: { psa: 'autotask' } }),
      ],
    );
    expect(c.statements()).toBe(1);
    expect(row?.marker).toBe(marker);
    const stored = await db.selectFrom('alerts').select(['ticketId', 'outcome', 'detail']).where('id', '=', alertId).executeTakeFirstOrThrow();
    expect(stored).toMatchObject({ ticketId: row?.id, outcome: 'ticket_created', detail: { psa: 'autotask' } });
    expect((await ticketAuditTrail(db, { id: row?.id as string, marker })).map((a) => a.action)).toEqual(['ticket.create']);
  });

  test('when one write fails, none of them lands', async () => {
    const partner = tenants.direct;
    const connectionId = (await db.selectFrom('connections').select('id').where('partnerId', '=', partner.id).executeTakeFirstOrThrow()).id;
    const ticket = await openTicket(connectionId, partner.organizationIds[1] as string);
    const alert = await receiveAlert(db, { eventId: randomUUID(), organizationId: partner.organizationIds[1] as string, problem: 'backup_failed', event: 'raised', occurredAt: new Date().toISOString(), detail: {} });
    const c = counting();
    await expect(
      writeTogether(c.db, [
        ticketNotedWrite(c.db, ticket.id, 'w1'),
        auditInsert(c.db, { partnerId: partner.id, connectionId, actor: 'test', action: 'ticket.note', target: `ticket:${ticket.marker}`, outcome: 'ok' }),
        // A ticket that does not exist: the foreign key refuses the whole statement.
        alertOutcomeWrite(c.db, { alertIds: [alert?.inserted?.id as string], outcome: 'noted', reason: null, ticketRowId: randomUUID() }),
      ]),
    ).rejects.toThrow(/foreign key/);
    expect(c.statements()).toBe(1);
    const row = await ticketForWrite(db, ticket.id);
    expect(row).toMatchObject({ noteCount: 0, psaWatermark: null });
    expect(await ticketAuditTrail(db, ticket)).toEqual([]);
  });

  test('a close marks only an open row, and nothing at all is no statement', async () => {
    const partner = tenants.direct;
    const connectionId = (await db.selectFrom('connections').select('id').where('partnerId', '=', partner.id).executeTakeFirstOrThrow()).id;
    const ticket = await openTicket(connectionId, partner.organizationIds[2] as string);
    await writeTogether(db, [ticketClosedWrite(db, ticket.id, 'psa')]);
    await writeTogether(db, [ticketClosedWrite(db, ticket.id, 'engine', 'later')]);
    expect(await ticketForWrite(db, ticket.id)).toMatchObject({ state: 'closed', psaWatermark: null });
    expect((await db.selectFrom('tickets').select('closedBy').where('id', '=', ticket.id).executeTakeFirstOrThrow()).closedBy).toBe('psa');
    const c = counting();
    await writeTogether(c.db, [null, undefined, alertOutcomeWrite(c.db, { alertIds: [], outcome: 'noted', reason: null, ticketRowId: null })]);
    expect(c.statements()).toBe(0);
  });

  test("a ticket row shows the outcomes already recorded for the caller's alerts only", async () => {
    const partner = tenants.master;
    const organizationId = partner.organizationIds[0] as string;
    const connectionId = await connection(partner.id, 'halopsa');
    const ticket = await openTicket(connectionId, organizationId);
    const ids: string[] = [];
    for (let i = 0; i < 3; i += 1) {
      const a = await receiveAlert(db, { eventId: randomUUID(), organizationId, problem: 'backup_failed', event: 'raised', occurredAt: new Date().toISOString(), detail: {} });
      ids.push(a?.inserted?.id as string);
    }
    await writeTogether(db, [alertOutcomeWrite(db, { alertIds: ids.slice(0, 2), outcome: 'noted', reason: null, ticketRowId: ticket.id })]);
    // An alert that already has an outcome keeps it.
    await recordFirstAlertOutcome(db, { alertIds: ids, outcome: 'ticket_adopted', reason: null, ticketRowId: ticket.id });
    const row = await ticketForWrite(db, ticket.id, [ids[0] as string, ids[2] as string, randomUUID()]);
    expect(row?.recorded.sort((a, b) => a.id.localeCompare(b.id))).toEqual(
      [
        { id: ids[0], outcome: 'noted' },
        { id: ids[2], outcome: 'ticket_adopted' },
      ].sort((a, b) => (a.id as string).localeCompare(b.id as string)),
    );
    expect((await ticketForWrite(db, ticket.id))?.recorded).toEqual([]);
  });
});

describe('connection health', () => {
  test('the change to Unhealthy is seen once, however many failing calls report it at the same time', async () => {
    const connectionId = await connection(tenants.sub.id, 'connectwise');
    const results = await Promise.all(Array.from({ length: 8 }, () => markUnhealthy(db, connectionId, 'ConnectWise rejected the stored credentials (401)')));
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await findConnection(db, connectionId)).toMatchObject({ health: 'unhealthy', healthReason: 'ConnectWise rejected the stored credentials (401)' });
    expect(await markUnhealthy(db, connectionId, 'The ConnectWise API user is locked or inactive (locked)')).toBe(false);
    expect((await findConnection(db, connectionId))?.healthReason).toBe('The ConnectWise API user is locked or inactive (locked)');
    await db.updateTable('connections').set({ health: 'healthy', healthReason: null }).where('id', '=', connectionId).execute();
    expect(await markUnhealthy(db, connectionId, 'ConnectWise rejected the stored credentials (401)')).toBe(true);
    expect(await markUnhealthy(db, randomUUID(), 'no such row')).toBe(false);
  });
});

describe('ticket-event subscription claim', () => {
  test('one claim at a time; a stale claim is retaken; a subscription is never claimed over', async () => {
    const connectionId = await connection(tenants.sub.id, 'halopsa');
    expect(await claimWebhookSubscription(db, connectionId, 60_000)).toBe(true);
    expect(await claimWebhookSubscription(db, connectionId, 60_000)).toBe(false);
    await setWebhookSubscription(db, connectionId, `pending:${Date.now() - 120_000}`);
    expect(await claimWebhookSubscription(db, connectionId, 60_000)).toBe(true);
    await setWebhookSubscription(db, connectionId, 'vendor-sub-7');
    expect(await claimWebhookSubscription(db, connectionId, 0)).toBe(false);
    await releaseWebhookClaim(db, connectionId);
    expect((await findConnection(db, connectionId))?.webhookSubscriptionId).toBe('vendor-sub-7');
    await db.updateTable('connections').set({ status: 'revoking', webhookSubscriptionId: null }).where('id', '=', connectionId).execute();
    expect(await claimWebhookSubscription(db, connectionId, 60_000)).toBe(false);
  });
});

describe('alert intake', () => {
  test('an event id is received once; an unknown organization stores nothing; a signed delivery is accepted once', async () => {
    const organizationId = tenants.master.organizationIds[1] as string;
    const eventId = `evt-${randomUUID()}`;
    const input = { eventId, organizationId, problem: 'backup_failed', event: 'raised' as const, occurredAt: '2026-01-02T03:04:05+01:00', detail: { job: 'j1' } };
    const first = await receiveAlert(db, input);
    expect(first).toMatchObject({ partnerId: tenants.master.id, psa: null });
    expect(first?.inserted?.occurredAt.toISOString()).toBe('2026-01-02T02:04:05.000Z');
    expect((await receiveAlert(db, input))?.inserted).toBeNull();
    expect(await receiveAlert(db, { ...input, eventId: `evt-${randomUUID()}`, organizationId: randomUUID() })).toBeUndefined();
    expect(await db.selectFrom('alerts').select('id').where('eventId', '=', eventId).execute()).toHaveLength(1);
    const receipt = `alert:${randomUUID()}`;
    expect(await recordWebhookReceipt(db, receipt)).toBe(true);
    expect(await recordWebhookReceipt(db, receipt)).toBe(false);
  });

  test('a ticket event marks our open rows of that PSA ticket only when someone else made it', async () => {
    const partner = tenants.master;
    const connectionId = (await db.selectFrom('connections').select('id').where('partnerId', '=', partner.id).executeTakeFirstOrThrow()).id;
    const ticket = await openTicket(connectionId, partner.organizationIds[2] as string);
    const psaTicketId = (await ticketForWrite(db, ticket.id))?.psaTicketId as string;
    expect(await openTicketsForEvent(db, connectionId, psaTicketId, false)).toHaveLength(1);
    expect((await ticketForWrite(db, ticket.id))?.touchedByOthers).toBe(false);
    expect(await openTicketsForEvent(db, connectionId, psaTicketId, true)).toHaveLength(1);
    expect((await ticketForWrite(db, ticket.id))?.touchedByOthers).toBe(true);
    expect(await openTicketsForEvent(db, randomUUID(), psaTicketId, true)).toEqual([]);
  });
});

describe('mappings', () => {
  test('an organization mapped on one connection is refused to another; re-mapping on the same one updates it', async () => {
    const partner = tenants.sub;
    const organizationId = partner.organizationIds[0] as string;
    const a = (await db.selectFrom('connections').select('id').where('partnerId', '=', partner.id).where('psa', '=', 'connectwise').executeTakeFirstOrThrow()).id;
    const b = (await db.selectFrom('connections').select('id').where('partnerId', '=', partner.id).where('psa', '=', 'halopsa').executeTakeFirstOrThrow()).id;
    expect(await saveOrganizationMapping(db, { organizationId, connectionId: a, psa: 'connectwise', values: { company: '1' } })).toBe(true);
    expect(await saveOrganizationMapping(db, { organizationId, connectionId: a, psa: 'connectwise', values: { company: '2' } })).toBe(true);
    expect(await saveOrganizationMapping(db, { organizationId, connectionId: b, psa: 'halopsa', values: { customer: '9' } })).toBe(false);
    expect(await organizationMappingOf(db, organizationId)).toEqual({ psa: 'connectwise', connectionId: a });
    const stored = await db.selectFrom('organizationMappings').select('values').where('organizationId', '=', organizationId).executeTakeFirstOrThrow();
    expect(stored.values).toEqual({ company: '2' });

    await savePlanMapping(db, { planId: partner.planId, connectionId: a, psa: 'connectwise', values: { catalogItem: '5' } });
    await saveTicketMapping(db, a, { board: '1' }, null);
    expect(await mappedOrganizationsOnPlan(db, partner.planId, a)).toBe(1);
    expect(await deleteAllMappings(db, a)).toEqual({ plans: 1, organizations: 1 });
    expect(await organizationMappingOf(db, organizationId)).toBeUndefined();
    expect(await db.selectFrom('ticketMappings').select('connectionId').where('connectionId', '=', a).execute()).toEqual([]);
  });

  test('a failed push keeps the last count that was pushed', async () => {
    const partner = tenants.sub;
    const organizationId = partner.organizationIds[1] as string;
    const connectionId = (await db.selectFrom('connections').select('id').where('partnerId', '=', partner.id).where('psa', '=', 'halopsa').executeTakeFirstOrThrow()).id;
    await recordSeatSync(db, { organizationId, connectionId, desired: 12, status: 'in_sync', error: null });
    await recordSeatSync(db, { organizationId, connectionId, desired: 15, status: 'failed', error: 'PSA down' });
    expect((await seatStateOf(db, organizationId))?.sync).toMatchObject({ desiredQuantity: 15, pushedQuantity: 12, status: 'failed', lastError: 'PSA down' });
    expect(await seatStateOf(db, randomUUID())).toBeUndefined();
  });

  test("a partner's chain runs up to the top reseller; an unknown partner has none", async () => {
    expect(await partnerChain(db, tenants.sub.id)).toEqual([tenants.sub.id, tenants.master.id]);
    expect(await partnerChain(db, randomUUID())).toEqual([]);
  });
});
