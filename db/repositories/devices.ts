/**
 * The device inventory (what the platform reports) and the state of its sync into each
 * connection's PSA (links to configurations, versions pushed, outcomes, settings).
 */
import { sql } from 'kysely';
import type { Db } from '../connect';
import type { DeviceLinkStatus } from '../schema';
import type { DeviceReport, DeviceSyncSettings } from '../../domain/devices';
import type { PsaConfiguration } from '../../psa/core/configurations';

export type DeviceChange = { op: 'upsert'; device: DeviceReport } | { op: 'delete'; deviceId: string; deletedAt: string };

const changeTime = (c: DeviceChange) => (c.op === 'upsert' ? c.device.updatedAt : c.deletedAt);
const changeId = (c: DeviceChange) => (c.op === 'upsert' ? c.device.deviceId : c.deviceId);

/** The newest change per device of one request (a row can be touched once per statement). */
function newestPerDevice(changes: readonly DeviceChange[]): DeviceChange[] {
  const by = new Map<string, DeviceChange>();
  for (const c of changes) {
    const prev = by.get(changeId(c));
    if (!prev || Date.parse(changeTime(c)) > Date.parse(changeTime(prev))) by.set(changeId(c), c);
  }
  return [...by.values()];
}

/**
 * Applies reports and deletes in the device's own time order: a change replaces the stored row
 * only when it is strictly newer, so a repeated or late report is a no-op. A delete of an unknown
 * device leaves a tombstone, so an older report arriving after it cannot create the device.
 * `snapshotId` marks every device the snapshot part carried, changed or not.
 */
export async function applyDeviceChanges(db: Db, organizationId: string, changes: readonly DeviceChange[], snapshotId: string | null = null): Promise<{ applied: number; stale: number }> {
  const rows = newestPerDevice(changes).map((c) => ({
    organizationId,
    deviceId: changeId(c),
    data: JSON.stringify(c.op === 'upsert' ? c.device : { deviceId: c.deviceId, updatedAt: c.deletedAt }),
    deleted: c.op === 'delete',
    sourceUpdatedAt: changeTime(c),
    snapshotId,
  }));
  if (!rows.length) return { applied: 0, stale: 0 };
  return db.transaction().execute(async (trx) => {
    const applied = await trx
      .insertInto('devices')
      .values(rows)
      .onConflict((oc) =>
        oc
          .columns(['organizationId', 'deviceId'])
          .doUpdateSet({
            // A tombstone keeps the last known data: the sync needs nothing else to deactivate.
            data: sql`case when excluded.deleted then devices.data else excluded.data end`,
            deleted: sql`excluded.deleted`,
            sourceUpdatedAt: sql`excluded.source_updated_at`,
            version: sql`devices.version + 1`,
            snapshotId: sql`coalesce(excluded.snapshot_id, devices.snapshot_id)`,
            receivedAt: sql`now()`,
          })
          .where(sql<boolean>`devices.source_updated_at < excluded.source_updated_at`),
      )
      .returning('deviceId')
      .execute();
    if (snapshotId) {
      await trx
        .updateTable('devices')
        .set({ snapshotId })
        .where('organizationId', '=', organizationId)
        .where(
          'deviceId',
          'in',
          rows.map((r) => r.deviceId),
        )
        .execute();
    }
    return { applied: applied.length, stale: rows.length - applied.length };
  });
}

export class SnapshotConflict extends Error {}

/**
 * Records one part of a full snapshot. Once every part is in, devices the snapshot did not carry
 * and that did not change after it was taken are deleted (as of `takenAt`). A part sent again is
 * a no-op; a part of a completed snapshot too.
 */
export async function recordSnapshotPart(
  db: Db,
  organizationId: string,
  s: { snapshotId: string; takenAt: string; part: number; parts: number },
): Promise<{ complete: boolean; received: number; deleted: number | null }> {
  return db.transaction().execute(async (trx) => {
    await trx
      .insertInto('deviceSnapshots')
      .values({ organizationId, snapshotId: s.snapshotId, takenAt: s.takenAt, parts: s.parts })
      .onConflict((oc) => oc.columns(['organizationId', 'snapshotId']).doNothing())
      .execute();
    const row = await trx
      .selectFrom('deviceSnapshots')
      .selectAll()
      .where('organizationId', '=', organizationId)
      .where('snapshotId', '=', s.snapshotId)
      .forUpdate()
      .executeTakeFirstOrThrow();
    if (row.parts !== s.parts || new Date(row.takenAt).getTime() !== Date.parse(s.takenAt)) {
      throw new SnapshotConflict(`snapshot ${s.snapshotId} was started with ${row.parts} part(s) taken at ${new Date(row.takenAt).toISOString()}`);
    }
    const received = [...new Set([...row.receivedParts, s.part])].sort((a, b) => a - b);
    if (row.completedAt) return { complete: true, received: received.length, deleted: row.deletedCount };
    const complete = received.length === row.parts;
    let deleted: number | null = null;
    if (complete) {
      const gone = await trx
        .updateTable('devices')
        .set({ deleted: true, sourceUpdatedAt: s.takenAt, version: sql`version + 1`, receivedAt: sql`now()` })
        .where('organizationId', '=', organizationId)
        .where('deleted', '=', false)
        .where((eb) => eb.or([eb('snapshotId', 'is', null), eb('snapshotId', '<>', s.snapshotId)]))
        .where('sourceUpdatedAt', '<', new Date(s.takenAt))
        .returning('deviceId')
        .execute();
      deleted = gone.length;
    }
    await trx
      .updateTable('deviceSnapshots')
      .set({ receivedParts: received, ...(complete ? { completedAt: new Date(), deletedCount: deleted } : {}) })
      .where('organizationId', '=', organizationId)
      .where('snapshotId', '=', s.snapshotId)
      .execute();
    return { complete, received: received.length, deleted };
  });
}

/** The organization's partner, or undefined when it does not exist. */
export async function organizationOf(db: Db, organizationId: string) {
  return db.selectFrom('organizations').select(['id', 'partnerId']).where('id', '=', organizationId).executeTakeFirst();
}

/** One device as stored (tombstones included). */
export async function deviceOf(db: Db, organizationId: string, deviceId: string) {
  return db.selectFrom('devices').selectAll().where('organizationId', '=', organizationId).where('deviceId', '=', deviceId).executeTakeFirst();
}

/** Counts of an organization's inventory and of each connection's sync of it. */
export async function deviceInventoryState(db: Db, organizationId: string) {
  const inv = await db
    .selectFrom('devices')
    .select([sql<number>`count(*) filter (where not deleted)::int`.as('active'), sql<number>`count(*) filter (where deleted)::int`.as('deleted')])
    .where('organizationId', '=', organizationId)
    .executeTakeFirstOrThrow();
  const sync = await db
    .selectFrom('deviceLinks')
    .select(['connectionId', 'status', sql<number>`count(*)::int`.as('n')])
    .where('organizationId', '=', organizationId)
    .groupBy(['connectionId', 'status'])
    .execute();
  return { active: inv.active, deleted: inv.deleted, sync };
}

// ---- sync side ----

export async function deviceSyncSettingsOf(db: Db, connectionId: string) {
  return db.selectFrom('deviceSyncSettings').selectAll().where('connectionId', '=', connectionId).executeTakeFirst();
}

/**
 * Stores a connection's settings; the version rises so every device is pushed again under them,
 * and the first import runs again (a new match field may now link what it could not).
 */
export async function saveDeviceSyncSettings(db: Db, connectionId: string, settings: DeviceSyncSettings, updatedBy: string | null) {
  await db.updateTable('deviceOrgSync').set({ firstImportAt: null }).where('connectionId', '=', connectionId).execute();
  return db
    .insertInto('deviceSyncSettings')
    .values({ connectionId, settings: JSON.stringify(settings), updatedBy })
    .onConflict((oc) => oc.column('connectionId').doUpdateSet({ settings: JSON.stringify(settings), updatedBy, version: sql`device_sync_settings.version + 1`, updatedAt: new Date() }))
    .returning(['connectionId', 'version'])
    .executeTakeFirstOrThrow();
}

/** Connections (connected, with device sync on) whose devices of this organization must be synced, with the organization's mapping on each. */
export async function deviceSyncTargetsOf(db: Db, organizationId: string) {
  return db
    .selectFrom('organizations as o')
    .innerJoin('connections as c', (j) => j.onRef('c.partnerId', '=', 'o.partnerId').on('c.status', '=', 'connected'))
    .innerJoin('deviceSyncSettings as s', 's.connectionId', 'c.id')
    .leftJoin('organizationMappings as m', (j) => j.onRef('m.organizationId', '=', 'o.id').onRef('m.connectionId', '=', 'c.id'))
    .select(['o.id as organizationId', 'o.partnerId', 'c.id as connectionId', 'c.psa', 'c.health', 's.settings', 's.version as settingsVersion', 'm.values as mapping', 'm.status as mappingStatus'])
    .where('o.id', '=', organizationId)
    .execute();
}

/** Organizations of the connection's partner that have devices the connection has not caught up with. */
export async function organizationsBehind(db: Db, connectionId: string): Promise<string[]> {
  const rows = await db
    .selectFrom('devices as d')
    .innerJoin('organizations as o', 'o.id', 'd.organizationId')
    .innerJoin('connections as c', 'c.partnerId', 'o.partnerId')
    .innerJoin('deviceSyncSettings as s', 's.connectionId', 'c.id')
    .leftJoin('deviceLinks as l', (j) => j.onRef('l.connectionId', '=', 'c.id').onRef('l.organizationId', '=', 'd.organizationId').onRef('l.deviceId', '=', 'd.deviceId'))
    .select('d.organizationId')
    .distinct()
    .where('c.id', '=', connectionId)
    .where((eb) =>
      eb.or([
        eb.and([eb('l.deviceId', 'is', null), eb('d.deleted', '=', false)]),
        eb(sql`l.pushed_version`, '<', sql`d.version`),
        eb(sql`l.settings_version`, '<', sql`s.version`),
        eb('l.status', '=', 'creating'),
      ]),
    )
    .execute();
  return rows.map((r) => r.organizationId);
}

export interface PendingDevice {
  deviceId: string;
  data: DeviceReport;
  deleted: boolean;
  version: string;
  psaId: string | null;
  psaRecord: PsaConfiguration | null;
  status: DeviceLinkStatus | null;
  reason: string | null;
}

/** The next devices of an organization this connection has not pushed at their current version (or settings), in device-id order. */
export async function pendingDevices(db: Db, connectionId: string, organizationId: string, settingsVersion: number, limit: number): Promise<PendingDevice[]> {
  const rows = await db
    .selectFrom('devices as d')
    .leftJoin('deviceLinks as l', (j) => j.onRef('l.organizationId', '=', 'd.organizationId').onRef('l.deviceId', '=', 'd.deviceId').on('l.connectionId', '=', connectionId))
    .select(['d.deviceId', 'd.data', 'd.deleted', 'd.version', 'l.psaId', 'l.psaRecord', 'l.status', 'l.reason'])
    .where('d.organizationId', '=', organizationId)
    .where((eb) =>
      eb.or([
        eb.and([eb('l.deviceId', 'is', null), eb('d.deleted', '=', false)]),
        eb(sql`l.pushed_version`, '<', sql`d.version`),
        eb('l.settingsVersion', '<', settingsVersion),
      ]),
    )
    .where((eb) => eb.or([eb('l.status', 'is', null), eb('l.status', '<>', 'creating')]))
    .orderBy('d.deviceId')
    .limit(limit)
    .execute();
  return rows.map((r) => ({ ...r, version: String(r.version) }));
}

/** The organization's devices (not deleted) with no link on this connection yet: the first import's input. */
export async function unlinkedDevices(db: Db, connectionId: string, organizationId: string) {
  const rows = await db
    .selectFrom('devices as d')
    .leftJoin('deviceLinks as l', (j) => j.onRef('l.organizationId', '=', 'd.organizationId').onRef('l.deviceId', '=', 'd.deviceId').on('l.connectionId', '=', connectionId))
    .select(['d.deviceId', 'd.data', 'l.status'])
    .where('d.organizationId', '=', organizationId)
    .where('d.deleted', '=', false)
    .where('l.psaId', 'is', null)
    .execute();
  return rows;
}

/** PSA ids already linked on this connection × organization. */
export async function linkedPsaIds(db: Db, connectionId: string, organizationId: string): Promise<Set<string>> {
  const rows = await db.selectFrom('deviceLinks').select('psaId').where('connectionId', '=', connectionId).where('organizationId', '=', organizationId).where('psaId', 'is not', null).execute();
  return new Set(rows.map((r) => r.psaId as string));
}

/** Creates claimed by an attempt that did not record its answer. */
export async function claimedCreates(db: Db, connectionId: string, organizationId: string) {
  return db
    .selectFrom('deviceLinks')
    .select(['deviceId', 'claimedAt'])
    .where('connectionId', '=', connectionId)
    .where('organizationId', '=', organizationId)
    .where('status', '=', 'creating')
    .execute();
}

export interface LinkRow {
  deviceId: string;
  psaId: string | null;
  psaRecord: PsaConfiguration | null;
  /** The device version this outcome is for; null leaves the pushed version as it is (a link without a push). */
  pushedVersion: string | null;
  settingsVersion: number | null;
  status: DeviceLinkStatus;
  reason: string | null;
  claimedAt?: Date | null;
}

/** Writes link rows of one connection × organization in one statement. */
export async function saveLinks(db: Db, connectionId: string, organizationId: string, rows: readonly LinkRow[]): Promise<void> {
  if (!rows.length) return;
  for (let i = 0; i < rows.length; i += 1000) {
    const part = rows.slice(i, i + 1000);
    await db
      .insertInto('deviceLinks')
      .values(
        part.map((r) => ({
          connectionId,
          organizationId,
          deviceId: r.deviceId,
          psaId: r.psaId,
          psaRecord: r.psaRecord ? JSON.stringify(r.psaRecord) : null,
          pushedVersion: r.pushedVersion ?? 0,
          settingsVersion: r.settingsVersion ?? 0,
          status: r.status,
          reason: r.reason,
          claimedAt: r.claimedAt ?? null,
        })),
      )
      .onConflict((oc) =>
        oc.columns(['connectionId', 'organizationId', 'deviceId']).doUpdateSet({
          psaId: sql`coalesce(excluded.psa_id, device_links.psa_id)`,
          psaRecord: sql`coalesce(excluded.psa_record, device_links.psa_record)`,
          pushedVersion: sql`greatest(excluded.pushed_version, device_links.pushed_version)`,
          settingsVersion: sql`greatest(excluded.settings_version, device_links.settings_version)`,
          status: sql`excluded.status`,
          reason: sql`excluded.reason`,
          claimedAt: sql`excluded.claimed_at`,
          updatedAt: sql`now()`,
        }),
      )
      .execute();
  }
}

export async function orgSyncOf(db: Db, connectionId: string, organizationId: string) {
  return db.selectFrom('deviceOrgSync').selectAll().where('connectionId', '=', connectionId).where('organizationId', '=', organizationId).executeTakeFirst();
}

/** The first import of this organization on this connection (into `companyId`) is done. */
export async function markFirstImport(db: Db, connectionId: string, organizationId: string, companyId: string): Promise<void> {
  await db
    .insertInto('deviceOrgSync')
    .values({ connectionId, organizationId, companyId, firstImportAt: new Date(), lastPassAt: new Date() })
    .onConflict((oc) => oc.columns(['connectionId', 'organizationId']).doUpdateSet({ companyId, firstImportAt: new Date() }))
    .execute();
}

export async function markPass(db: Db, connectionId: string, organizationId: string): Promise<void> {
  await db.updateTable('deviceOrgSync').set({ lastPassAt: new Date() }).where('connectionId', '=', connectionId).where('organizationId', '=', organizationId).execute();
}

/** Devices synced and failed per connection, for the integration cards. */
export async function deviceCountsByConnection(db: Db, connectionIds: readonly string[]): Promise<Map<string, { synced: number; failed: number }>> {
  if (!connectionIds.length) return new Map();
  // Ambiguous first-import matches count as failed: someone has to look.
  const rows = await db
    .selectFrom('deviceLinks')
    .select(['connectionId', sql<number>`count(*) filter (where status = 'synced')::int`.as('synced'), sql<number>`count(*) filter (where status in ('failed','ambiguous'))::int`.as('failed')])
    .where('connectionId', 'in', connectionIds)
    .groupBy('connectionId')
    .execute();
  return new Map(rows.map((r) => [r.connectionId, { synced: r.synced, failed: r.failed }]));
}

/** Connections of a partner × PSA that are not revoked (revoke removes their device schedules). */
export async function liveConnectionIds(db: Db, partnerId: string, psa: string): Promise<string[]> {
  const rows = await db.selectFrom('connections').select('id').where('partnerId', '=', partnerId).where(sql`psa`, '=', psa).where('status', '<>', 'revoked').execute();
  return rows.map((r) => r.id);
}
