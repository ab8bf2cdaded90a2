/**
 * Device sync into PSA configurations, one batch per activity. A batch:
 * 1. finds its own lost creates: devices marked `creating` by an attempt that died are looked
 *    up among the company's configurations changed since the claim, and linked if there;
 * 2. on the organization's first pass into a company, reads what the PSA already holds there
 *    once and links by our device id, then by the match field (first import);
 * 3. takes the next devices not pushed at their current version, resolves their PSA type
 *    (creating it where the PSA allows), site and contact, and sends creates, updates and
 *    deactivations in the vendor's largest batches, only with what changed;
 * 4. records every outcome before returning, so the next batch (or a retry) continues from there.
 * A create is claimed in PostgreSQL before it is sent; that claim is what step 1 reads.
 */
import { Context } from '@temporalio/activity';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import type { ActivityDeps } from './deps';
import { adapterProviderFor } from '../infra/psa-adapters';
import { PsaAuthError, PsaError } from '../psa/core/errors';
import { withCallSignal } from '../psa/core/call-context';
import type { ConfigurationType, ConfigurationUpdate, ConfigurationWrite, PsaConfiguration, PsaConfigurationItems } from '../psa/core/configurations';
import { chunk } from '../psa/core/configurations';
import { matchContact, type PsaContact } from '../psa/core/contacts';
import type { PsaAdapter } from '../psa/core/types';
import {
  DEFAULT_DEVICE_SYNC_SETTINGS,
  DEVICE_REASONS,
  afterWrite,
  changedFields,
  companyOfMapping,
  configurationWriteOf,
  deviceName,
  deviceTypeValue,
  firstImportLinks,
  mappedValues,
  renderLink,
  syncTargetOf,
  type DeviceSyncSettings,
  type SyncTarget,
} from '../domain/devices';
import {
  claimedCreates,
  deviceSyncTargetsOf,
  linkedPsaIds,
  markFirstImport,
  markPass,
  organizationsBehind,
  orgSyncOf,
  pendingDevices,
  saveLinks,
  unlinkedDevices,
  type LinkRow,
  type PendingDevice,
} from '../db/repositories/devices';
import { findConnection } from '../db/repositories/integrations';
import { writeAudit } from '../db/repositories/audit';
import { connectionRefused } from './connection-health';
import { DEVICE_SYNC_WORKFLOW_TYPE, deviceSyncWorkflowId, devicesChangedSignal, type DeviceSchedulePassInput, type DeviceSyncInput } from '../workflows/device-messages';

const ACTOR = 'device-sync';
/** How far before a claim a lost create is searched (the PSA's clock against ours). */
const CLAIM_MARGIN_MS = 10 * 60_000;

export interface DeviceBatchRequest {
  organizationId: string;
  connectionId: string;
}

export interface DeviceBatchResult {
  done: boolean;
  synced: number;
  failed: number;
  skipped: number;
  /** PSA requests this batch made (for the bench and the audit). */
  reason: string | null;
}

/** Everything the batch computes per device before writing. */
type Plan =
  | { kind: 'create'; d: PendingDevice; write: ConfigurationWrite }
  | { kind: 'update'; d: PendingDevice; write: ConfigurationWrite; update: ConfigurationUpdate }
  | { kind: 'deactivate'; d: PendingDevice }
  | { kind: 'done'; d: PendingDevice; status: LinkRow['status']; reason: string | null; record?: PsaConfiguration | null };

function settingsOf(raw: unknown): DeviceSyncSettings {
  return { ...DEFAULT_DEVICE_SYNC_SETTINGS, ...(raw as Partial<DeviceSyncSettings>) };
}

async function allPages(items: PsaConfigurationItems, query: { companyId: string; modifiedSince?: string }, beat: () => void): Promise<PsaConfiguration[]> {
  const out: PsaConfiguration[] = [];
  let cursor: string | null = null;
  for (;;) {
    const page = await items.list({ ...query, includeInactive: true, pageSize: items.traits.maxPageSize, cursor });
    out.push(...page.items);
    beat();
    if (!page.nextCursor) return out;
    cursor = page.nextCursor;
  }
}

export function createDeviceActivities(deps: ActivityDeps) {
  const { db, log, temporal } = deps;
  const adapters = adapterProviderFor(deps);
  // Types and sites change rarely; one read per connection every few minutes, not per batch.
  const typeCache = new Map<string, { at: number; types: Promise<ConfigurationType[]> }>();
  const siteCache = new Map<string, { at: number; site: Promise<string | null> }>();
  const contactCache = new Map<string, { at: number; contacts: Promise<PsaContact[]> }>();
  const TTL = 5 * 60_000;
  const cached = <T>(map: Map<string, { at: number } & Record<string, unknown>>, key: string, field: string, load: () => Promise<T>): Promise<T> => {
    const hit = map.get(key);
    if (hit && Date.now() - hit.at < TTL) return hit[field] as Promise<T>;
    const p = load();
    p.catch(() => map.delete(key));
    map.set(key, { at: Date.now(), [field]: p });
    return p;
  };

  /**
   * Heartbeats, and stops this attempt once Temporal has given up on it (heartbeat timeout, the
   * server no longer knows it): a retry may already be running, and two attempts sending the
   * same creates could make a configuration twice.
   */
  const beat = () => {
    let ctx: Context;
    try {
      ctx = Context.current();
    } catch {
      return; // outside an activity (tests calling the function directly)
    }
    if (ctx.cancellationSignal.aborted) throw ctx.cancellationSignal.reason ?? new Error('activity attempt cancelled');
    ctx.heartbeat();
  };

  async function resolveTypes(connectionId: string, settingsVersion: number, items: PsaConfigurationItems, settings: DeviceSyncSettings, names: string[]): Promise<Map<string, string | { reason: string }>> {
    const key = `${connectionId}:${settingsVersion}`;
    const types = await cached(typeCache as never, key, 'types', () => items.listTypes());
    const out = new Map<string, string | { reason: string }>();
    for (const name of names) {
      const mapped = settings.typeMap[name];
      if (mapped) {
        out.set(name, mapped);
        continue;
      }
      const hit = types.find((t) => t.name.trim().toLowerCase() === name.toLowerCase());
      if (hit) {
        out.set(name, hit.id);
        continue;
      }
      if (!items.traits.typesCreatable) {
        out.set(name, { reason: DEVICE_REASONS.noType(name) });
        continue;
      }
      try {
        const made = await items.createType(name);
        types.push(made);
        out.set(name, made.id);
        beat();
      } catch (err) {
        if (err instanceof PsaError && err.kind === 'validation') out.set(name, { reason: `${DEVICE_REASONS.noType(name)} (${err.message})` });
        else throw err;
      }
    }
    return out;
  }

  async function siteFor(adapter: PsaAdapter, connectionId: string, target: SyncTarget): Promise<string | null> {
    if (target.siteId) return target.siteId;
    const companies = adapter.companies?.();
    if (!companies) return null;
    return cached(siteCache as never, `${connectionId}:${target.companyId}`, 'site', async () => {
      const sites = await companies.sites(target.companyId);
      return (sites.find((s) => s.primary) ?? sites[0])?.id ?? null;
    });
  }

  async function contactsFor(adapter: PsaAdapter, connectionId: string, companyId: string): Promise<PsaContact[]> {
    const contacts = adapter.contacts?.();
    if (!contacts) return [];
    return cached(contactCache as never, `${connectionId}:${companyId}`, 'contacts', () => contacts.listForCompany(companyId));
  }

  const activities = {
    /** Connections that sync this organization's devices (connected, device sync on). */
    async deviceSyncTargets(organizationId: string): Promise<string[]> {
      const rows = await deviceSyncTargetsOf(db, organizationId);
      return rows.filter((r) => settingsOf(r.settings).enabled).map((r) => r.connectionId);
    },

    /** Starts (or nudges) the device sync of every organization the connection is behind on. */
    async nudgeDeviceSyncs(input: DeviceSchedulePassInput): Promise<number> {
      const connection = await findConnection(db, input.connectionId);
      if (!connection || connection.status !== 'connected') return 0;
      const organizations = await organizationsBehind(db, input.connectionId);
      for (const organizationId of organizations) {
        try {
          const args: [DeviceSyncInput] = [{ organizationId, partnerId: connection.partnerId, debounceMs: input.debounceMs, idleMs: input.idleMs }];
          await temporal.workflow.signalWithStart(DEVICE_SYNC_WORKFLOW_TYPE, {
            workflowId: deviceSyncWorkflowId(organizationId),
            taskQueue: Context.current().info.taskQueue,
            args,
            signal: devicesChangedSignal,
            signalArgs: [],
          });
        } catch (err) {
          if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
        }
      }
      return organizations.length;
    },

    async syncDeviceBatch(req: DeviceBatchRequest): Promise<DeviceBatchResult> {
      // Heartbeats while a PSA call waits for its budget too: the heartbeat timeout then only
      // measures a dead worker, never a slow PSA.
      let ctx: Context | null = null;
      try {
        ctx = Context.current();
      } catch {
        ctx = null;
      }
      const keepAlive = ctx ? setInterval(() => ctx?.heartbeat(), 2000) : null;
      try {
        // Every PSA call of the batch is bound to this attempt: once Temporal gives up on it (heartbeat
        // or start-to-close timeout, cancel), a call still waiting for its budget leaves the governor's
        // queue and nothing more is sent, so a late create of this attempt cannot meet its retry's.
        return await withCallSignal(ctx?.cancellationSignal, () => activities.syncDeviceBatchNow(req));
      } finally {
        if (keepAlive) clearInterval(keepAlive);
      }
    },

    /** The batch itself (`syncDeviceBatch` wraps it with the heartbeat). */
    async syncDeviceBatchNow(req: DeviceBatchRequest): Promise<DeviceBatchResult> {
      const { organizationId, connectionId } = req;
      const result: DeviceBatchResult = { done: true, synced: 0, failed: 0, skipped: 0, reason: null };
      const row = (await deviceSyncTargetsOf(db, organizationId)).find((r) => r.connectionId === connectionId);
      if (!row) return { ...result, reason: 'the connection no longer syncs devices' };
      const settings = settingsOf(row.settings);
      if (!settings.enabled) return { ...result, reason: 'device sync is off' };
      const settingsVersion = row.settingsVersion;
      const mapped = row.mappingStatus === 'mapped' ? companyOfMapping(row.mapping) : null;
      const target = syncTargetOf(mapped, settings);
      const { adapter } = await adapters.forConnection(connectionId);
      const batchSize = 500;

      if ('skip' in target) {
        const pending = await pendingDevices(db, connectionId, organizationId, settingsVersion, batchSize);
        await saveLinks(
          db,
          connectionId,
          organizationId,
          pending.map((d) => ({ deviceId: d.deviceId, psaId: null, psaRecord: null, pushedVersion: d.version, settingsVersion, status: 'skipped', reason: target.skip })),
        );
        return { ...result, done: pending.length < batchSize, skipped: pending.length, reason: target.skip };
      }
      const items = adapter.configurations?.({
        ...(settings.deviceIdUdf ? { deviceIdUdf: settings.deviceIdUdf } : {}),
        ...(settings.assetGroupId ? { assetGroupId: settings.assetGroupId } : {}),
        ...(settings.productBillingCodeId ? { productBillingCodeId: settings.productBillingCodeId } : {}),
      });
      if (!items) return { ...result, reason: 'this PSA has no configurations' };

      try {
        // 1. Creates an earlier attempt sent without recording the answer.
        const claims = await claimedCreates(db, connectionId, organizationId);
        if (claims.length) {
          const since = Math.min(...claims.map((c) => new Date(c.claimedAt ?? Date.now()).getTime())) - CLAIM_MARGIN_MS;
          const recent = await allPages(items, { companyId: target.companyId, modifiedSince: new Date(since).toISOString() }, beat);
          const byDevice = new Map(recent.filter((r) => r.deviceId).map((r) => [(r.deviceId as string).toLowerCase(), r]));
          await saveLinks(
            db,
            connectionId,
            organizationId,
            claims.map((c) => {
              const found = byDevice.get(c.deviceId.toLowerCase());
              return { deviceId: c.deviceId, psaId: found?.id ?? null, psaRecord: found ?? null, pushedVersion: null, settingsVersion: null, status: 'pending', reason: null, claimedAt: null };
            }),
          );
          log.info('device sync: looked up creates of an interrupted attempt', { connectionId, organizationId, claimed: claims.length, found: claims.filter((c) => byDevice.has(c.deviceId.toLowerCase())).length });
        }

        // 2. First import into this company: link what the PSA already holds.
        const orgSync = await orgSyncOf(db, connectionId, organizationId);
        if (!orgSync?.firstImportAt || orgSync.companyId !== target.companyId) {
          const unlinked = await unlinkedDevices(db, connectionId, organizationId);
          if (unlinked.length) {
            const records = await allPages(items, { companyId: target.companyId }, beat);
            const links = firstImportLinks(
              unlinked.map((u) => ({ deviceId: u.deviceId, serialNumber: u.data.serialNumber ?? null, name: deviceName(u.data) })),
              records,
              settings.matchField,
              await linkedPsaIds(db, connectionId, organizationId),
            );
            const rows: LinkRow[] = [];
            for (const [deviceId, link] of links) {
              if ('record' in link) rows.push({ deviceId, psaId: link.record.id, psaRecord: link.record, pushedVersion: null, settingsVersion: null, status: 'pending', reason: null });
              else rows.push({ deviceId, psaId: null, psaRecord: null, pushedVersion: null, settingsVersion: null, status: 'ambiguous', reason: link.reason });
            }
            // An earlier refusal the records no longer explain is lifted.
            for (const u of unlinked) if (u.status === 'ambiguous' && !links.has(u.deviceId)) rows.push({ deviceId: u.deviceId, psaId: null, psaRecord: null, pushedVersion: null, settingsVersion: null, status: 'pending', reason: null });
            await saveLinks(db, connectionId, organizationId, rows);
          }
          await markFirstImport(db, connectionId, organizationId, target.companyId);
        }

        // 3. The next devices behind.
        const pending = await pendingDevices(db, connectionId, organizationId, settingsVersion, batchSize);
        if (!pending.length) {
          await markPass(db, connectionId, organizationId);
          return result;
        }
        const live = pending.filter((d) => !d.deleted);
        const typeNames = [...new Set(live.map((d) => deviceTypeValue(d.data, settings.typeSource)).filter((v): v is string => v !== null))];
        const types = await resolveTypes(connectionId, settingsVersion, items, settings, typeNames);
        const siteId = items.traits.siteRequired ? await siteFor(adapter, connectionId, target) : target.siteId;
        const contacts = settings.userMatching && live.some((d) => d.data.lastLoggedInUser) ? await contactsFor(adapter, connectionId, target.companyId) : [];
        const mappingTargets = settings.fieldMappings.map((m) => m.target);

        const plans: Plan[] = [];
        for (const d of pending) {
          if (d.deleted) {
            plans.push(d.psaId && d.psaRecord?.active !== false ? { kind: 'deactivate', d } : { kind: 'done', d, status: 'deactivated', reason: null });
            continue;
          }
          if (d.status === 'ambiguous' && !d.psaId) {
            // A first-import refusal stays until the settings change (the first import runs again).
            plans.push({ kind: 'done', d, status: 'ambiguous', reason: d.reason });
            continue;
          }
          const typeName = deviceTypeValue(d.data, settings.typeSource);
          const type = typeName ? types.get(typeName) : undefined;
          if (typeName === null || type === undefined || typeof type !== 'string') {
            plans.push({ kind: 'done', d, status: 'failed', reason: typeName === null ? DEVICE_REASONS.noTypeValue(settings.typeSource) : (type as { reason: string }).reason });
            continue;
          }
          if (items.traits.siteRequired && !siteId) {
            plans.push({ kind: 'done', d, status: 'failed', reason: `The PSA company ${target.companyId} has no site, and every configuration needs one` });
            continue;
          }
          const contact = d.data.lastLoggedInUser ? matchContact(d.data.lastLoggedInUser, contacts) : null;
          const link = renderLink(settings.linkTemplate, { deviceId: d.deviceId, organizationId, partnerId: row.partnerId });
          let current = d.psaRecord ?? undefined;
          if (current && mappedValues(d.data, settings.fieldMappings, current).unknown.length) {
            // "Only fill empty fields" needs the PSA's value, which the stored record lacks.
            current = (await items.get(current.id)) ?? current;
            beat();
          }
          const write = configurationWriteOf(d.data, { target: { companyId: target.companyId, siteId }, typeId: type, link, contactId: contact?.id ?? null, mappings: settings.fieldMappings, ...(current ? { current } : {}) });
          if (!d.psaId) {
            plans.push({ kind: 'create', d, write });
            continue;
          }
          if (current && current.companyId !== write.companyId && !items.traits.companyChangeable) {
            plans.push({ kind: 'done', d, status: 'failed', reason: DEVICE_REASONS.companyImmutable });
            continue;
          }
          const changes = changedFields(write, current);
          if (!Object.keys(changes).length) plans.push({ kind: 'done', d, status: 'synced', reason: null, record: current ?? null });
          else plans.push({ kind: 'update', d, write, update: { id: d.psaId, ...(current ? { current } : {}), changes } });
        }

        const links: LinkRow[] = [];
        const done = (d: PendingDevice, status: LinkRow['status'], reason: string | null, psaId: string | null, record: PsaConfiguration | null) => {
          links.push({ deviceId: d.deviceId, psaId, psaRecord: record, pushedVersion: d.version, settingsVersion, status, reason, claimedAt: null });
          if (status === 'failed' || status === 'ambiguous') result.failed += 1;
          else if (status === 'skipped') result.skipped += 1;
          else result.synced += 1;
        };
        let retryLater: PsaError | null = null;
        const outcome = (p: Exclude<Plan, { kind: 'done' }>, o: { ok: true; id: string } | { ok: false; error: PsaError }, record: (id: string) => PsaConfiguration | null, okStatus: LinkRow['status']) => {
          if (o.ok) done(p.d, okStatus, null, o.id, record(o.id));
          else if (o.error.retryable) retryLater ??= o.error;
          else done(p.d, 'failed', o.error.message, p.d.psaId, null);
        };

        for (const p of plans) if (p.kind === 'done') done(p.d, p.status, p.reason, p.d.psaId, p.record ?? p.d.psaRecord ?? null);

        // Claim creates before sending them: a retry finds them by device id (step 1).
        const creates = plans.filter((p): p is Extract<Plan, { kind: 'create' }> => p.kind === 'create');
        for (const part of chunk(creates, Math.max(items.traits.maxBatch, 1) * (items.traits.maxBatch > 1 ? 1 : 25))) {
          await saveLinks(
            db,
            connectionId,
            organizationId,
            part.map((p) => ({ deviceId: p.d.deviceId, psaId: null, psaRecord: null, pushedVersion: null, settingsVersion: null, status: 'creating', reason: null, claimedAt: new Date() })),
          );
          beat();
          const answers = await items.create(part.map((p) => p.write));
          beat();
          part.forEach((p, i) =>
            outcome(
              p,
              answers[i] as never,
              (id) => {
                const rec = afterWrite(id, p.write, undefined);
                for (const t of mappingTargets) if (!(t in rec.values)) rec.values[t] = null; // a new record: every mapped field was empty
                return rec;
              },
              'synced',
            ),
          );
          // Outcomes of this part are recorded before the next part is claimed and sent.
          await saveLinks(db, connectionId, organizationId, links.splice(0));
        }

        const updates = plans.filter((p): p is Extract<Plan, { kind: 'update' }> => p.kind === 'update');
        for (const part of chunk(updates, Math.max(items.traits.maxBatch, 1) * (items.traits.maxBatch > 1 ? 1 : 25))) {
          beat();
          const answers = await items.update(part.map((p) => p.update));
          beat();
          part.forEach((p, i) => outcome(p, answers[i] as never, (id) => afterWrite(id, p.write, p.d.psaRecord ?? undefined), 'synced'));
          await saveLinks(db, connectionId, organizationId, links.splice(0));
        }

        const deactivations = plans.filter((p): p is Extract<Plan, { kind: 'deactivate' }> => p.kind === 'deactivate');
        for (const part of chunk(deactivations, Math.max(items.traits.maxBatch, 1) * (items.traits.maxBatch > 1 ? 1 : 25))) {
          beat();
          const answers = await items.deactivate(part.map((p) => p.d.psaId as string));
          beat();
          part.forEach((p, i) => outcome(p, answers[i] as never, () => (p.d.psaRecord ? { ...p.d.psaRecord, active: false } : null), 'deactivated'));
          await saveLinks(db, connectionId, organizationId, links.splice(0));
        }
        await saveLinks(db, connectionId, organizationId, links.splice(0));

        await writeAudit(db, {
          partnerId: row.partnerId,
          connectionId,
          actor: ACTOR,
          action: 'psa.devices_batch',
          target: organizationId,
          outcome: retryLater ? 'error' : 'ok',
          detail: { creates: creates.length, updates: updates.length, deactivations: deactivations.length, failed: result.failed },
        });
        if (retryLater) throw retryLater;
        result.done = pending.length < batchSize;
        return result;
      } catch (err) {
        if (err instanceof PsaAuthError) await connectionRefused({ ...deps, adapters }, { id: connectionId, partnerId: row.partnerId, psa: row.psa }, err, ACTOR);
        throw err;
      }
    },
  };
  return activities;
}
