/**
 * Device sync end to end: platform inventory → client → Temporal → worker → PSA simulators'
 * configurations, one rule per test, on each of the three PSAs.
 */
import { randomUUID } from 'node:crypto';
import type { PsaKind } from '../../psa/core/types';
import { deviceSyncWorkflowId } from '../../workflows/device-sync';
import { listIntegrations } from '../../db/repositories/integrations';
import { startStack, type Stack } from '../helpers/stack';
import { INVENTORY, deviceSyncSetup, makeDevices, setNotesInPsa, simConfigs } from './device-sync-kit';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack('device-sync');
});
afterAll(() => stack.close());

const LINK = 'https://portal.example/devices/{deviceId}';
const result = (organizationId: string) => stack.client.workflow.getHandle(deviceSyncWorkflowId(organizationId)).result();
const withDevice = (psa: PsaKind, deviceId: string) => simConfigs(stack, psa).filter((c) => c.deviceId === deviceId);
const writes = (psa: PsaKind) => stack.sims[psa].server.log.filter((r) => r.method !== 'GET' && !/\/query$/i.test(r.path)).length;
const links = (connectionId: string, organizationId: string) =>
  stack.db.selectFrom('deviceLinks').selectAll().where('connectionId', '=', connectionId).where('organizationId', '=', organizationId).orderBy('deviceId').execute();

describe.each<PsaKind>(['connectwise', 'autotask', 'halopsa'])('%s', (psa) => {
  test('first import: links the existing configuration by serial, creates the rest once, with type, link, contact and mapped fields; "only fill empty" keeps what the PSA holds', async () => {
    const existing = INVENTORY[psa].existing[0] as { id: string; serialNumber: string };
    setNotesInPsa(stack, psa, existing.id, 'typed by a technician');
    const { client, organizationId, fx, partner } = await deviceSyncSetup(stack, psa, {
      matchField: 'serialNumber',
      linkTemplate: LINK,
      userMatching: true,
      fieldMappings: [{ source: 'model', target: 'field:notes', onlyFillEmpty: true }],
    });
    const before = simConfigs(stack, psa).length;
    const devices = makeDevices(5, (i) => ({
      ...(i === 0 ? { serialNumber: existing.serialNumber } : {}),
      ...(i === 1 ? { nodeClass: `NMS_SWITCH_${randomUUID().slice(0, 6)}` } : {}),
      ...(i === 2 ? { lastLoggedInUser: 'CORP\\Tim Bowers' } : {}),
    }));
    const snap = randomUUID();
    await client.reportSnapshotPart(organizationId, snap, { takenAt: new Date().toISOString(), part: 0, parts: 1, devices });
    const summary = await result(organizationId);
    expect(summary).toMatchObject({ synced: 5, failed: 0 });

    for (const d of devices) expect(withDevice(psa, d.deviceId)).toHaveLength(1);
    expect(simConfigs(stack, psa).length).toBe(before + 4); // the first one was linked, not created
    const matched = withDevice(psa, devices[0]?.deviceId as string)[0];
    expect(matched?.id).toBe(existing.id);
    expect(matched?.notes).toBe('typed by a technician');
    const created = withDevice(psa, devices[3]?.deviceId as string)[0];
    expect(created?.notes).toBe('Model 3');
    expect(created?.companyId).toBe(INVENTORY[psa].company);
    // The link back to the platform (Autotask: in its UDF "Platform Device Link").
    expect(created?.link).toBe(`https://portal.example/devices/${devices[3]?.deviceId}`);
    // A type named after the node class was created where missing.
    const switchType = withDevice(psa, devices[1]?.deviceId as string)[0]?.typeId;
    expect(switchType).not.toBe(created?.typeId);
    expect(withDevice(psa, devices[2]?.deviceId as string)[0]?.contactId).toBe(INVENTORY[psa].contactId);

    const rows = await links(fx.connectionId, organizationId);
    expect(rows.map((r) => r.status)).toEqual(['synced', 'synced', 'synced', 'synced', 'synced']);
    const card = (await listIntegrations(stack.db, partner.id)).find((c) => c.psa === psa);
    expect(card).toMatchObject({ devicesSynced: 5, devicesFailed: 0 });

    // The same snapshot again: nothing to write.
    const w = writes(psa);
    await client.reportSnapshotPart(organizationId, randomUUID(), { takenAt: new Date().toISOString(), part: 0, parts: 1, devices });
    await result(organizationId);
    expect(writes(psa)).toBe(w);
  });

  test('incremental: a newer change updates, an older one is ignored, a delete deactivates and never deletes', async () => {
    const { client, organizationId } = await deviceSyncSetup(stack, psa, {});
    const devices = makeDevices(3);
    await client.reportChanges(organizationId, { changes: devices.map((device) => ({ op: 'upsert' as const, device })) });
    await result(organizationId);
    const [a, b] = devices as [(typeof devices)[0], (typeof devices)[0]];
    await client.reportChanges(organizationId, {
      changes: [
        { op: 'upsert', device: { ...a, systemName: 'RENAMED', updatedAt: '2026-12-02T00:00:00Z' } },
        { op: 'delete', deviceId: b.deviceId, deletedAt: '2026-12-02T00:00:00Z' },
      ],
    });
    await result(organizationId);
    await client.reportChanges(organizationId, { changes: [{ op: 'upsert', device: { ...a, systemName: 'STALE', updatedAt: '2026-12-01T12:00:00Z' } }] });
    await result(organizationId);
    expect(withDevice(psa, a.deviceId)).toEqual([expect.objectContaining({ name: 'RENAMED', active: true })]);
    expect(withDevice(psa, b.deviceId)).toEqual([expect.objectContaining({ active: false })]);
  });

  test('an unmapped organization is skipped with the reason, or goes to the default company when one is set', async () => {
    const { client, unmappedIds, fx } = await deviceSyncSetup(stack, psa, {}, { organizations: 2, mapped: 1 });
    const unmapped = unmappedIds[0] as string;
    const devices = makeDevices(2);
    const before = simConfigs(stack, psa).length;
    await client.reportChanges(unmapped, { changes: devices.map((device) => ({ op: 'upsert' as const, device })) });
    await result(unmapped);
    expect(simConfigs(stack, psa).length).toBe(before);
    expect((await links(fx.connectionId, unmapped)).map((r) => [r.status, r.reason])).toEqual([
      ['skipped', expect.stringContaining('not mapped')],
      ['skipped', expect.stringContaining('not mapped')],
    ]);
    await client.setSettings(fx.connectionId, { unmappedOrganizations: { mode: 'default', companyId: INVENTORY[psa].company } }, null);
    await client.reportChanges(unmapped, { changes: [{ op: 'upsert', device: { ...(devices[0] as (typeof devices)[0]), updatedAt: '2026-12-03T00:00:00Z' } }] });
    await result(unmapped);
    for (const d of devices) expect(withDevice(psa, d.deviceId)).toEqual([expect.objectContaining({ companyId: INVENTORY[psa].company })]);
  });
});

test('a type the PSA lacks and may not create from this input is a per-device reason, not a failed run', async () => {
  const { client, organizationId, fx } = await deviceSyncSetup(stack, 'connectwise', {});
  const devices = makeDevices(2, (i) => (i === 0 ? { nodeClass: null } : {}));
  await client.reportChanges(organizationId, { changes: devices.map((device) => ({ op: 'upsert' as const, device })) });
  expect(await result(organizationId)).toMatchObject({ synced: 1, failed: 1 });
  const rows = await links(fx.connectionId, organizationId);
  expect(rows.find((r) => r.deviceId === devices[0]?.deviceId)).toMatchObject({ status: 'failed', reason: expect.stringContaining('reports no nodeClass') });
});

test('two existing configurations with the same name link neither and create nothing (no duplicate)', async () => {
  const { client, organizationId, fx } = await deviceSyncSetup(stack, 'connectwise', { matchField: 'name' });
  const name = `TWIN-${randomUUID().slice(0, 6)}`;
  const cw = stack.sims.connectwise.state.data.configurations;
  const template = cw[0] as (typeof cw)[0];
  for (const id of [880001, 880002]) cw.push({ ...structuredClone(template), id, name, deviceIdentifier: null });
  const devices = makeDevices(1, () => ({ systemName: name }));
  await client.reportChanges(organizationId, { changes: devices.map((device) => ({ op: 'upsert' as const, device })) });
  expect(await result(organizationId)).toMatchObject({ failed: 1 });
  expect(simConfigs(stack, 'connectwise').filter((c) => c.name === name)).toHaveLength(2);
  expect((await links(fx.connectionId, organizationId))[0]).toMatchObject({ status: 'ambiguous', reason: expect.stringContaining('2 PSA configurations match name') });
});

test('settings: each platform field mapped once; the API refuses a repeat and other tenants', async () => {
  const { partner } = await deviceSyncSetup(stack, 'halopsa', {});
  const path = `/v1/partners/${partner.id}/integrations/halopsa/device-sync`;
  const repeat = await stack.api('PUT', path, partner.users.admin, {
    fieldMappings: [
      { source: 'os', target: 'field:notes', onlyFillEmpty: false },
      { source: 'os', target: 'custom:1', onlyFillEmpty: false },
    ],
  });
  expect(repeat.status).toBe(400);
  expect(JSON.stringify(repeat.body)).toContain('maps the platform field \\"os\\" more than once');
  const ok = await stack.api('PUT', path, partner.users.admin, { matchField: 'name', scheduleMinutes: 30 });
  expect(ok.status).toBe(200);
  expect((await stack.api('GET', path, partner.users.admin)).body.settings).toMatchObject({ matchField: 'name', scheduleMinutes: 30 });
  const other = await deviceSyncSetup(stack, 'halopsa', {});
  expect((await stack.api('GET', path, other.partner.users.admin)).status).toBe(404);
});

test('the inventory API: platform auth, ≤500 devices, snapshot parts, unknown organizations hidden', async () => {
  const { organizationId } = await deviceSyncSetup(stack, 'halopsa', { enabled: false });
  const tooMany = await stack.api('POST', `/v1/organizations/${organizationId}/devices/changes`, null, {
    changes: makeDevices(501).map((device) => ({ op: 'upsert', device })),
  });
  expect([400, 413]).toContain(tooMany.status);
  const missing = await stack.api('POST', '/v1/organizations/00000000-0000-4000-8000-000000000000/devices/changes', null, { changes: [{ op: 'delete', deviceId: 'x', deletedAt: '2026-12-01T00:00:00Z' }] });
  expect(missing.status).toBe(404);
  const snap = randomUUID();
  const part = await stack.api('PUT', `/v1/organizations/${organizationId}/devices/snapshots/${snap}`, null, { takenAt: '2026-12-01T00:00:00Z', part: 0, parts: 2, devices: makeDevices(3) });
  expect(part.status).toBe(202);
  expect(part.body).toMatchObject({ applied: 3, complete: false, partsReceived: 1 });
  const wrong = await stack.api('PUT', `/v1/organizations/${organizationId}/devices/snapshots/${snap}`, null, { takenAt: '2026-12-01T00:00:00Z', part: 1, parts: 3, devices: [] });
  expect(wrong.status).toBe(400);
  const state = await stack.api('GET', `/v1/organizations/${organizationId}/devices`, null);
  expect(state.body).toMatchObject({ active: 3, deleted: 0 });
  await stack.client.workflow.getHandle(deviceSyncWorkflowId(organizationId)).terminate('test done');
});

test('revoke stops device sync and removes its schedule', async () => {
  const { client, organizationId, fx, partner } = await deviceSyncSetup(stack, 'connectwise', {});
  const schedule = stack.client.schedule.getHandle(`device-sync/${fx.connectionId}`);
  expect((await schedule.describe()).action).toMatchObject({ workflowType: 'deviceSchedulePassWorkflow' });
  // A long debounce keeps the run waiting, as a burst of reports would.
  const slow = (await import('../../client/devices')).createDevicesClient({ db: stack.db, temporal: stack.client, taskQueue: stack.taskQueue, timing: { debounceMs: 600_000, idleMs: 600_000 } });
  await slow.reportChanges(organizationId, { changes: makeDevices(1).map((device) => ({ op: 'upsert' as const, device })) });
  void client;
  const { createIntegrationsClient } = await import('../../client/integrations');
  const integrations = createIntegrationsClient({ temporal: stack.client, db: stack.db, keys: stack.deps.keys, taskQueue: stack.taskQueue, psa: stack.psa });
  await integrations.revoke(partner.id, 'connectwise', partner.users.admin);
  expect(await result(organizationId)).toMatchObject({ lastOutcome: 'revoked' });
  await expect(schedule.describe()).rejects.toThrow();
});

test('the schedule\'s pass nudges organizations the connection is behind on', async () => {
  const { client, organizationId, fx } = await deviceSyncSetup(stack, 'halopsa', {});
  const devices = makeDevices(2);
  await client.reportChanges(organizationId, { changes: devices.map((device) => ({ op: 'upsert' as const, device })) });
  await stack.client.workflow.getHandle(deviceSyncWorkflowId(organizationId)).terminate('lost before it synced');
  await stack.client.schedule.getHandle(`device-sync/${fx.connectionId}`).trigger();
  await new Promise((r) => setTimeout(r, 1500));
  await result(organizationId);
  for (const d of devices) expect(withDevice('halopsa', d.deviceId)).toHaveLength(1);
});

const CREATE_PATH: Record<PsaKind, { method: string; path: string }> = {
  connectwise: { method: 'POST', path: 'company/configurations/bulk$' },
  autotask: { method: 'POST', path: 'ConfigurationItems$' },
  halopsa: { method: 'POST', path: '/Asset$' },
};

test.each<PsaKind>(['connectwise', 'autotask', 'halopsa'])('%s: a create whose answer is lost after the PSA made it is found by our device id, not made twice', async (psa) => {
  const { client, organizationId, fx } = await deviceSyncSetup(stack, psa, {});
  const sim = stack.sims[psa].server;
  const drop = sim.addFault({ ...CREATE_PATH[psa], kind: 'commit_then_drop', times: 1 });
  const devices = makeDevices(psa === 'autotask' ? 4 : 150);
  await client.reportChanges(organizationId, { changes: devices.map((device) => ({ op: 'upsert' as const, device })) });
  const summary = await result(organizationId);
  sim.clearFaults();
  expect(drop.used).toBe(1);
  expect(summary).toMatchObject({ failed: 0 });
  for (const d of devices) expect(withDevice(psa, d.deviceId)).toHaveLength(1);
  expect((await links(fx.connectionId, organizationId)).every((r) => r.status === 'synced' && r.psaId !== null)).toBe(true);
});
