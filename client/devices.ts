/**
 * The platform reports its device inventory per organization — full snapshots in parts and
 * incremental changes — and partners set how a connection syncs devices into PSA
 * configurations. Reports are applied in the device's own time order (older never overwrites
 * newer), so they are idempotent and may arrive in any order; each nudges the organization's
 * debounced device-sync workflow. Settings start or update the connection's Temporal Schedule of
 * incremental passes.
 */
import { z } from 'zod';
import { ScheduleAlreadyRunning, ScheduleNotFoundError, ScheduleOverlapPolicy } from '@temporalio/client';
import { InvalidInput, NotFound, parseOrThrow } from '../domain/errors';
import { canonicalUuid, safeKey, safeText, storableDateTime } from '../domain/input';
import { DEFAULT_DEVICE_SYNC_SETTINGS, DEVICE_SOURCE_FIELDS, repeatedSources, repeatedTargets, type DeviceSyncSettings } from '../domain/devices';
import { MATCH_FIELDS, parseFieldKey } from '../psa/core/configurations';
import { applyDeviceChanges, deviceInventoryState, deviceSyncSettingsOf, organizationOf, recordSnapshotPart, saveDeviceSyncSettings, SnapshotConflict, type DeviceChange } from '../db/repositories/devices';
import { findConnection } from '../db/repositories/integrations';
import {
  DEVICE_SCHEDULE_PASS_WORKFLOW_TYPE,
  DEVICE_SYNC_WORKFLOW_TYPE,
  deviceScheduleId,
  deviceSyncWorkflowId,
  devicesChangedSignal,
  type DeviceSchedulePassInput,
  type DeviceSyncInput,
} from '../workflows/device-messages';
import type { ClientDeps } from './deps';

/** Most devices (or changes) one request carries. */
export const MAX_DEVICES_PER_REQUEST = 500;

const text = (max: number) => safeText().max(max).nullable().optional();

export const deviceSchema = z
  .object({
    deviceId: safeText().trim().min(1).max(100),
    nodeClass: text(100),
    deviceType: text(100),
    displayName: text(250),
    systemName: text(250),
    dnsName: text(250),
    serialNumber: text(250),
    manufacturer: text(250),
    model: text(250),
    os: text(250),
    lastLoggedInUser: text(250),
    lastContact: storableDateTime().nullable().optional(),
    warrantyStart: storableDateTime().nullable().optional(),
    warrantyEnd: storableDateTime().nullable().optional(),
    software: z
      .array(
        z
          .object({
            name: safeText().min(1).max(250),
            version: text(100),
            publisher: text(250),
            installDate: storableDateTime().nullable().optional(),
          })
          .strict(),
      )
      .max(1000)
      .nullable()
      .optional(),
    customFields: z
      .record(safeKey(100), safeText().max(1000))
      .refine((r) => Object.keys(r).length <= 100, { message: 'must have at most 100 custom fields' })
      .nullable()
      .optional(),
    updatedAt: storableDateTime(),
  })
  .strict();

const changeSchema = z.discriminatedUnion('op', [
  z.object({ op: z.literal('upsert'), device: deviceSchema }).strict(),
  z.object({ op: z.literal('delete'), deviceId: safeText().trim().min(1).max(100), deletedAt: storableDateTime() }).strict(),
]);

export const deviceChangesSchema = z.object({ changes: z.array(changeSchema).min(1).max(MAX_DEVICES_PER_REQUEST) }).strict();
export type DeviceChanges = z.infer<typeof deviceChangesSchema>;

export const snapshotPartSchema = z
  .object({
    /** When the platform read the inventory: devices it did not carry and not changed since are deleted. */
    takenAt: storableDateTime(),
    /** 0-based part number and the number of parts. */
    part: z.number().int().min(0).max(9_999),
    parts: z.number().int().min(1).max(10_000),
    devices: z.array(deviceSchema).max(MAX_DEVICES_PER_REQUEST),
  })
  .strict()
  .refine((s) => s.part < s.parts, { message: 'part must be less than parts', path: ['part'] });
export type SnapshotPart = z.infer<typeof snapshotPartSchema>;

const fieldMappingSchema = z
  .object({
    source: safeText()
      .min(1)
      .max(110)
      .refine((s) => (DEVICE_SOURCE_FIELDS as readonly string[]).includes(s) || /^custom:.{1,100}$/s.test(s), {
        message: `must be one of ${DEVICE_SOURCE_FIELDS.join(', ')} or custom:<platform custom field>`,
      }),
    target: safeText()
      .min(1)
      .max(200)
      .refine((t) => parseFieldKey(t) !== null, { message: 'must be a PSA field key (field:…, custom:… or assetfield:…)' }),
    onlyFillEmpty: z.boolean().default(false),
  })
  .strict();

export const deviceSyncSettingsSchema = z
  .object({
    enabled: z.boolean().default(true),
    typeSource: z.enum(['nodeClass', 'deviceType']).default('nodeClass'),
    typeMap: z
      .record(safeKey(100), safeText().min(1).max(50))
      .refine((r) => Object.keys(r).length <= 200, { message: 'must have at most 200 entries' })
      .default({}),
    matchField: z.enum(MATCH_FIELDS).nullable().default(null),
    fieldMappings: z.array(fieldMappingSchema).max(100).default([]),
    unmappedOrganizations: z
      .discriminatedUnion('mode', [
        z.object({ mode: z.literal('skip') }).strict(),
        z.object({ mode: z.literal('default'), companyId: safeText().trim().min(1).max(50), siteId: safeText().trim().min(1).max(50).nullable().optional() }).strict(),
      ])
      .default({ mode: 'skip' }),
    linkTemplate: safeText()
      .max(1000)
      .refine((t) => /^https:\/\/[^\s]+$/.test(t), { message: 'must be an https URL ({deviceId}, {organizationId}, {partnerId} are filled in)' })
      .nullable()
      .default(null),
    userMatching: z.boolean().default(false),
    scheduleMinutes: z.number().int().min(5).max(7 * 24 * 60).default(60),
    deviceIdUdf: safeText().trim().min(1).max(100).optional(),
    assetGroupId: safeText().trim().min(1).max(50).optional(),
    productBillingCodeId: safeText().trim().min(1).max(50).optional(),
  })
  .strict()
  .superRefine((s, ctx) => {
    for (const source of repeatedSources(s.fieldMappings)) ctx.addIssue({ code: 'custom', path: ['fieldMappings'], message: `maps the platform field "${source}" more than once` });
    for (const target of repeatedTargets(s.fieldMappings)) ctx.addIssue({ code: 'custom', path: ['fieldMappings'], message: `writes the PSA field "${target}" more than once` });
  });
export type DeviceSyncSettingsInput = z.input<typeof deviceSyncSettingsSchema>;

export interface DeviceSyncTiming {
  debounceMs: number;
  idleMs: number;
}

export const DEFAULT_DEVICE_SYNC_TIMING: DeviceSyncTiming = { debounceMs: 30_000, idleMs: 600_000 };

export interface DevicesClientOptions extends ClientDeps {
  timing?: DeviceSyncTiming;
}

export function createDevicesClient(opts: DevicesClientOptions) {
  const { db, temporal, taskQueue } = opts;
  const timing = opts.timing ?? DEFAULT_DEVICE_SYNC_TIMING;

  async function nudge(organizationId: string, partnerId: string): Promise<string> {
    const workflowId = deviceSyncWorkflowId(organizationId);
    const args: [DeviceSyncInput] = [{ organizationId, partnerId, ...timing }];
    await temporal.workflow.signalWithStart(DEVICE_SYNC_WORKFLOW_TYPE, { workflowId, taskQueue, args, signal: devicesChangedSignal, signalArgs: [] });
    return workflowId;
  }

  async function organization(organizationId: string) {
    const org = await organizationOf(db, organizationId);
    if (!org) throw new NotFound('Organization');
    return org;
  }

  return {
    /** One part of a full snapshot (`snapshotId` names the snapshot; parts may come in any order, and again). */
    async reportSnapshotPart(organizationId: string, snapshotId: string, input: SnapshotPart) {
      const body = parseOrThrow(snapshotPartSchema, input);
      const sid = parseOrThrow(canonicalUuid(), snapshotId);
      const org = await organization(organizationId);
      const changes: DeviceChange[] = body.devices.map((device) => ({ op: 'upsert', device }));
      const applied = await applyDeviceChanges(db, organizationId, changes, sid);
      let snapshot;
      try {
        snapshot = await recordSnapshotPart(db, organizationId, { snapshotId: sid, takenAt: body.takenAt, part: body.part, parts: body.parts });
      } catch (err) {
        if (err instanceof SnapshotConflict) throw new InvalidInput([{ field: 'parts', message: err.message }]);
        throw err;
      }
      const workflowId = await nudge(organizationId, org.partnerId);
      return { ...applied, complete: snapshot.complete, partsReceived: snapshot.received, deleted: snapshot.deleted, workflowId };
    },

    /** Incremental changes: upserts and deletes, each applied only if newer than what is stored. */
    async reportChanges(organizationId: string, input: DeviceChanges) {
      const body = parseOrThrow(deviceChangesSchema, input);
      const org = await organization(organizationId);
      const applied = await applyDeviceChanges(db, organizationId, body.changes as DeviceChange[]);
      const workflowId = await nudge(organizationId, org.partnerId);
      return { ...applied, workflowId };
    },

    /** The organization's inventory counts and the sync state per connection. */
    async inventory(organizationId: string) {
      await organization(organizationId);
      return deviceInventoryState(db, organizationId);
    },

    async settings(connectionId: string): Promise<DeviceSyncSettings | null> {
      const row = await deviceSyncSettingsOf(db, connectionId);
      return row ? { ...DEFAULT_DEVICE_SYNC_SETTINGS, ...row.settings } : null;
    },

    /** Stores the connection's device-sync settings and (re)creates its schedule of incremental passes. */
    async setSettings(connectionId: string, input: DeviceSyncSettingsInput, actor: string | null): Promise<DeviceSyncSettings> {
      const settings = parseOrThrow(deviceSyncSettingsSchema, input) as DeviceSyncSettings;
      const connection = await findConnection(db, connectionId);
      if (!connection || connection.status !== 'connected') throw new NotFound('PSA connection');
      await saveDeviceSyncSettings(db, connectionId, settings, actor);
      if (settings.enabled) await this.ensureSchedule(connectionId, settings.scheduleMinutes);
      else await this.removeSchedule(connectionId);
      return settings;
    },

    async ensureSchedule(connectionId: string, minutes: number): Promise<void> {
      const scheduleId = deviceScheduleId(connectionId);
      const args: [DeviceSchedulePassInput] = [{ connectionId, ...timing }];
      const action = { type: 'startWorkflow' as const, workflowType: DEVICE_SCHEDULE_PASS_WORKFLOW_TYPE, workflowId: `device-pass/${connectionId}`, taskQueue, args };
      const spec = { intervals: [{ every: minutes * 60_000 }] };
      try {
        await temporal.schedule.create({ scheduleId, spec, action, policies: { overlap: ScheduleOverlapPolicy.SKIP } });
      } catch (err) {
        if (!(err instanceof ScheduleAlreadyRunning)) throw err;
        await temporal.schedule.getHandle(scheduleId).update((prev) => ({ ...prev, spec, action }));
      }
    },

    async removeSchedule(connectionId: string): Promise<boolean> {
      try {
        await temporal.schedule.getHandle(deviceScheduleId(connectionId)).delete();
        return true;
      } catch (err) {
        if (err instanceof ScheduleNotFoundError) return false;
        throw err;
      }
    },
  };
}

export type DevicesClient = ReturnType<typeof createDevicesClient>;
