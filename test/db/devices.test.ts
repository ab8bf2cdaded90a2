/**
 * The device inventory on real PostgreSQL: reports applied in the device's own update order
 * (older never overwrites newer, repeats are no-ops, deletes are tombstones), full snapshots in
 * parts that delete what they did not carry once complete, and the sync's pending set.
 */
import { randomUUID } from 'node:crypto';
import type { Db } from '../../db/connect';
import { testDb, testKeys } from '../helpers/env';
import { seedTenants, type SeededTenants } from '../helpers/seed';
import { sealCredentials } from '../../security/credentials';
import { applyDeviceChanges, deviceOf, pendingDevices, recordSnapshotPart, saveDeviceSyncSettings, saveLinks, SnapshotConflict, deviceCountsByConnection } from '../../db/repositories/devices';
import { DEFAULT_DEVICE_SYNC_SETTINGS, type DeviceReport } from '../../domain/devices';

let db: Db;
let tenants: SeededTenants;
let orgIndex = 0;
const nextOrg = () => tenants.direct.organizationIds[orgIndex++] as string;

const dev = (deviceId: string, updatedAt: string, over: Partial<DeviceReport> = {}): DeviceReport => ({ deviceId, updatedAt, nodeClass: 'WINDOWS_WORKSTATION', systemName: deviceId.toUpperCase(), ...over });
const T = (s: number) => new Date(Date.UTC(2026, 11, 1, 0, 0, s)).toISOString();

beforeAll(async () => {
  db = testDb();
  tenants = await seedTenants(db, { organizationsPerPartner: 8 });
});
afterAll(() => db.destroy());

test('an older report never overwrites a newer one; the same report twice is a no-op', async () => {
  const org = nextOrg();
  expect(await applyDeviceChanges(db, org, [{ op: 'upsert', device: dev('a', T(10), { os: 'new' }) }])).toEqual({ applied: 1, stale: 0 });
  expect(await applyDeviceChanges(db, org, [{ op: 'upsert', device: dev('a', T(5), { os: 'old' }) }])).toEqual({ applied: 0, stale: 1 });
  expect(await applyDeviceChanges(db, org, [{ op: 'upsert', device: dev('a', T(10), { os: 'new' }) }])).toEqual({ applied: 0, stale: 1 });
  const row = await deviceOf(db, org, 'a');
  expect(row?.data.os).toBe('new');
  expect(String(row?.version)).toBe('1');
  await applyDeviceChanges(db, org, [{ op: 'upsert', device: dev('a', T(11), { os: 'newer' }) }]);
  expect(String((await deviceOf(db, org, 'a'))?.version)).toBe('2');
});

test('within one request the newest change of a device wins, whatever the order', async () => {
  const org = nextOrg();
  await applyDeviceChanges(db, org, [
    { op: 'upsert', device: dev('b', T(20), { os: 'second' }) },
    { op: 'upsert', device: dev('b', T(10), { os: 'first' }) },
  ]);
  expect((await deviceOf(db, org, 'b'))?.data.os).toBe('second');
});

test('a delete is a tombstone: an older report arriving later does not bring the device back, a newer one does', async () => {
  const org = nextOrg();
  await applyDeviceChanges(db, org, [{ op: 'upsert', device: dev('c', T(10)) }]);
  await applyDeviceChanges(db, org, [{ op: 'delete', deviceId: 'c', deletedAt: T(20) }]);
  await applyDeviceChanges(db, org, [{ op: 'upsert', device: dev('c', T(15)) }]);
  const row = await deviceOf(db, org, 'c');
  expect(row?.deleted).toBe(true);
  expect(row?.data.systemName).toBe('C'); // the last known data stays for the deactivation
  // A delete of a device never seen leaves a tombstone too.
  await applyDeviceChanges(db, org, [{ op: 'delete', deviceId: 'ghost', deletedAt: T(20) }]);
  await applyDeviceChanges(db, org, [{ op: 'upsert', device: dev('ghost', T(19)) }]);
  expect((await deviceOf(db, org, 'ghost'))?.deleted).toBe(true);
  await applyDeviceChanges(db, org, [{ op: 'upsert', device: dev('c', T(30)) }]);
  expect((await deviceOf(db, org, 'c'))?.deleted).toBe(false);
});

test('a snapshot in parts deletes, once complete, the devices it did not carry and that did not change after it was taken', async () => {
  const org = nextOrg();
  await applyDeviceChanges(db, org, [
    { op: 'upsert', device: dev('keep', T(1)) },
    { op: 'upsert', device: dev('gone', T(1)) },
    { op: 'upsert', device: dev('late', T(100)) },
  ]);
  const snapshotId = randomUUID();
  const takenAt = T(50);
  // Part 1 first, then part 0, then part 1 again: order and repeats do not matter.
  await applyDeviceChanges(db, org, [{ op: 'upsert', device: dev('new', T(40)) }], snapshotId);
  expect(await recordSnapshotPart(db, org, { snapshotId, takenAt, part: 1, parts: 2 })).toEqual({ complete: false, received: 1, deleted: null });
  expect((await deviceOf(db, org, 'gone'))?.deleted).toBe(false);
  await applyDeviceChanges(db, org, [{ op: 'upsert', device: dev('keep', T(1)) }], snapshotId);
  expect(await recordSnapshotPart(db, org, { snapshotId, takenAt, part: 0, parts: 2 })).toEqual({ complete: true, received: 2, deleted: 1 });
  expect(await recordSnapshotPart(db, org, { snapshotId, takenAt, part: 1, parts: 2 })).toEqual({ complete: true, received: 2, deleted: 1 });
  expect((await deviceOf(db, org, 'gone'))?.deleted).toBe(true);
  expect((await deviceOf(db, org, 'keep'))?.deleted).toBe(false);
  expect((await deviceOf(db, org, 'late'))?.deleted).toBe(false); // changed after the snapshot was taken
  expect((await deviceOf(db, org, 'new'))?.deleted).toBe(false);
  await expect(recordSnapshotPart(db, org, { snapshotId, takenAt, part: 0, parts: 3 })).rejects.toBeInstanceOf(SnapshotConflict);
});

test('the sync picks devices not pushed at their version or settings, skips deleted devices it never wrote, and counts outcomes', async () => {
  const org = nextOrg();
  const connectionId = randomUUID();
  await db
    .insertInto('connections')
    .values({ id: connectionId, partnerId: tenants.direct.id, psa: 'halopsa', status: 'connected', site: '{}', ...sealCredentials(testKeys(), connectionId, { any: 'thing' }), connectedAt: new Date() })
    .execute();
  const { version } = await saveDeviceSyncSettings(db, connectionId, DEFAULT_DEVICE_SYNC_SETTINGS, null);
  await applyDeviceChanges(db, org, [
    { op: 'upsert', device: dev('p1', T(1)) },
    { op: 'upsert', device: dev('p2', T(1)) },
    { op: 'delete', deviceId: 'p3', deletedAt: T(1) },
  ]);
  expect((await pendingDevices(db, connectionId, org, version, 10)).map((d) => d.deviceId)).toEqual(['p1', 'p2']);
  await saveLinks(db, connectionId, org, [
    { deviceId: 'p1', psaId: '1', psaRecord: null, pushedVersion: '1', settingsVersion: version, status: 'synced', reason: null },
    { deviceId: 'p2', psaId: null, psaRecord: null, pushedVersion: '1', settingsVersion: version, status: 'failed', reason: 'no type' },
  ]);
  expect(await pendingDevices(db, connectionId, org, version, 10)).toEqual([]);
  expect((await deviceCountsByConnection(db, [connectionId])).get(connectionId)).toEqual({ synced: 1, failed: 1 });
  await applyDeviceChanges(db, org, [{ op: 'upsert', device: dev('p1', T(2)) }]);
  expect((await pendingDevices(db, connectionId, org, version, 10)).map((d) => d.deviceId)).toEqual(['p1']);
  // New settings: everything is pushed again under them.
  const next = await saveDeviceSyncSettings(db, connectionId, { ...DEFAULT_DEVICE_SYNC_SETTINGS, userMatching: true }, null);
  expect(next.version).toBe(version + 1);
  expect((await pendingDevices(db, connectionId, org, next.version, 10)).map((d) => d.deviceId)).toEqual(['p1', 'p2']);
  // A create in flight is not picked (its retry looks it up first).
  await saveLinks(db, connectionId, org, [{ deviceId: 'p2', psaId: null, psaRecord: null, pushedVersion: null, settingsVersion: null, status: 'creating', reason: null, claimedAt: new Date() }]);
  expect((await pendingDevices(db, connectionId, org, next.version, 10)).map((d) => d.deviceId)).toEqual(['p1']);
});
