/**
 * Billing reconcile of one connection, one activity per run: list the PSA's billing quantities
 * in pages (`adapter.billing`), compare them with the platform's seat counts and repair drift
 * with absolute sets from what was just listed. A retried attempt (worker killed midway) lists
 * again, so whatever the dead attempt already wrote now reads as in sync and is not written
 * twice. Counts of 0 and large drops are held for a person (domain/reconcile-rules.ts); broken
 * mappings are marked, reported and told to the platform once. Every run leaves a drift report
 * (table + audit log).
 *
 * A run's PSA calls are the billing pages and the repairs, nothing else: whether a mapping's
 * company or contract is inactive is the health schedule's check (activities/health-check.ts),
 * which marks such mappings broken and tells the platform. Reconcile lists those from the stored
 * state in its report, neither lists their billing nor writes to them, and leaves their mending
 * to the health check.
 */
import { Context } from '@temporalio/activity';
import type { ActivityDeps } from './deps';
import { DEFAULT_RECONCILE_SETTINGS } from './deps';
import type { BillingLine, BillingState, PsaAdapter } from '../psa/core/types';
import { PsaNotFoundError, PsaValidationError } from '../psa/core/errors';
import { capabilitiesOf } from '../psa/capabilities';
import { inPool } from '../psa/core/billing';
import { decideDrift, heldDriftAction } from '../domain/reconcile-rules';
import { seatSyncSwitchedOff } from '../domain/rules';
import { findConnection } from '../db/repositories/integrations';
import { ticketMappingOf } from '../db/repositories/mappings';
import { recordSeatSync } from '../db/repositories/seats';
import { writeAudit } from '../db/repositories/audit';
import {
  breakMapping,
  finishReport,
  latestHoldsOf,
  markHoldApplied,
  mendMapping,
  openHold,
  reconcileTargetsOf,
  startReport,
  type ReconcileTarget,
  type ReportCounts,
} from '../db/repositories/reconcile';
import { typed, withAdapter, lifecycleContext } from './lifecycle-support';
import { notifyPlatform } from './platform-notices';
import type { ScheduledRunInput } from '../workflows/reconcile-ids';

export const RECONCILE_ACTOR = 'reconcile';
/** Writes in flight at once; the connection's governor still spaces them inside the vendor's budget. */
const WRITE_CONCURRENCY = 4;

export interface ReconcileSummary extends ReportCounts {
  status: 'completed' | 'skipped';
  reason: string | null;
  runId: string;
}

interface BrokenEntry {
  organizationId: string;
  reason: string;
}

/** A broken mapping in a run's report: found by this run, or by the health check (stored state). */
interface ReportedBroken extends BrokenEntry {
  foundBy: 'reconcile' | 'health';
}

function runIdOf(input: ScheduledRunInput): string {
  try {
    const wf = Context.current().info.workflowExecution;
    if (wf) return `${wf.workflowId}/${wf.runId}`;
  } catch {
    // called outside an activity (unit use)
  }
  return `manual/${input.connectionId}/${Date.now()}`;
}

export function createReconcileActivities(deps: ActivityDeps) {
  const ctx = lifecycleContext(deps);
  const { db, log } = deps;
  const settings = deps.reconcile ?? DEFAULT_RECONCILE_SETTINGS;

  return {
    async reconcileConnection(input: ScheduledRunInput): Promise<ReconcileSummary> {
      return typed(async () => {
        const { connectionId } = input;
        const runId = runIdOf(input);
        const counts: ReportCounts = { found: 0, repaired: 0, held: 0, broken: 0, psaCalls: 0 };
        const row = await findConnection(db, connectionId);
        if (!row || row.status !== 'connected') return { status: 'skipped', reason: 'the connection is not connected', runId, ...counts };
        const { partnerId, psa } = row;
        await startReport(db, { connectionId, partnerId, runId });
        const skip = async (reason: string): Promise<ReconcileSummary> => {
          await finishReport(db, runId, 'skipped', counts, { reason });
          await writeAudit(db, { partnerId, connectionId, actor: RECONCILE_ACTOR, action: 'reconcile.report', target: runId, outcome: 'ok', detail: { status: 'skipped', reason } });
          return { status: 'skipped', reason, runId, ...counts };
        };
        // No PSA call at all while Unhealthy: the health schedule is the way back.
        if (row.health === 'unhealthy') return skip(`the connection is unhealthy: ${row.healthReason ?? 'no reason given'}`);
        const switchedOff = seatSyncSwitchedOff(psa, await ticketMappingOf(db, connectionId));
        if (switchedOff) return skip(switchedOff);

        const targets = await reconcileTargetsOf(db, connectionId);
        const planMapped = (t: ReconcileTarget) => !capabilitiesOf(psa).planMapping || t.planMappingId !== null;
        const brokenByHealth = (t: ReconcileTarget) => t.status === 'broken' && t.brokenBy === 'health';
        const listable = targets.filter((t) => planMapped(t) && !brokenByHealth(t));
        const found: Record<string, unknown>[] = [];
        /** Newly broken by this run: the platform is told of these. */
        const broken: BrokenEntry[] = [];
        /** Every mapping this run counts as broken, for its report. */
        const reported: ReportedBroken[] = [];
        try {
          await withAdapter(ctx, connectionId, RECONCILE_ACTOR, async (adapter) => {
            const snapshot = listable.length ? await adapter.billing(listable.map((t) => t.values)) : { states: [], calls: 0 };
            counts.psaCalls += snapshot.calls;
            const stateOf = new Map<string, BillingState>(listable.map((t, i) => [t.organizationId, snapshot.states[i] as BillingState]));
            const holds = await latestHoldsOf(db, connectionId);
            const writes: { target: ReconcileTarget; line: BillingLine; holdId: string | null }[] = [];

            for (const t of targets) {
              if (brokenByHealth(t)) {
                // The health check found its company or contract inactive, told the platform and mends it.
                counts.broken += 1;
                reported.push({ organizationId: t.organizationId, reason: t.statusReason ?? 'its PSA company or contract is inactive', foundBy: 'health' });
                continue;
              }
              const state = stateOf.get(t.organizationId);
              const reason = !state ? 'the organization’s plan is no longer mapped to this PSA' : state.state === 'broken' ? state.reason : null;
              if (reason !== null) {
                counts.broken += 1;
                reported.push({ organizationId: t.organizationId, reason, foundBy: 'reconcile' });
                if (await breakMapping(db, t.organizationId, connectionId, reason)) broken.push({ organizationId: t.organizationId, reason });
                continue;
              }
              if (state?.state !== 'ok') continue;
              if (t.status === 'broken') await mendMapping(db, t.organizationId, connectionId);
              const psaQuantity = state.line.quantity;
              const decision = decideDrift({ desired: t.seatCount, psa: psaQuantity, holdDropShare: settings.holdDropShare });
              if (decision.action === 'in_sync') continue;
              counts.found += 1;
              found.push({ organizationId: t.organizationId, desired: t.seatCount, psa: psaQuantity, action: decision.action });
              if (decision.action === 'repair') {
                writes.push({ target: t, line: state.line, holdId: null });
                continue;
              }
              const previous = holds.get(t.organizationId) ?? null;
              const next = heldDriftAction(previous, t.seatCount, psaQuantity);
              if (next === 'write' && previous) writes.push({ target: t, line: state.line, holdId: previous.id });
              else {
                counts.held += 1;
                if (next === 'open') {
                  await openHold(db, { connectionId, partnerId, organizationId: t.organizationId, desired: t.seatCount, psaQuantity, reason: decision.reason });
                  await writeAudit(db, { partnerId, connectionId, actor: RECONCILE_ACTOR, action: 'reconcile.hold', target: t.organizationId, outcome: 'ok', detail: { desired: t.seatCount, psa: psaQuantity, reason: decision.reason } });
                }
              }
            }

            await inPool(writes, WRITE_CONCURRENCY, async (w) => {
              const repaired = await repair(adapter, w.target, w.line);
              counts.psaCalls += 1;
              if (repaired === null) return;
              if (repaired === 'gone') {
                counts.broken += 1;
                const reason = 'the billing object is no longer in the PSA';
                reported.push({ organizationId: w.target.organizationId, reason, foundBy: 'reconcile' });
                if (await breakMapping(db, w.target.organizationId, connectionId, reason)) broken.push({ organizationId: w.target.organizationId, reason });
                return;
              }
              counts.repaired += 1;
              if (w.holdId) await markHoldApplied(db, w.holdId);
            });
          });
        } catch (err) {
          await finishReport(db, runId, 'failed', counts, { error: err instanceof Error ? err.message : String(err), found });
          throw err;
        }

        const detail = { found: found.slice(0, 200), broken: reported.slice(0, 200) };
        await finishReport(db, runId, 'completed', counts, detail);
        await writeAudit(db, { partnerId, connectionId, actor: RECONCILE_ACTOR, action: 'reconcile.report', target: runId, outcome: 'ok', detail: { status: 'completed', ...counts } });
        if (broken.length) {
          await notifyPlatform(deps, {
            type: 'mapping.broken',
            partnerId,
            connectionId,
            idempotencyKey: `mapping-broken:${runId}`,
            actor: RECONCILE_ACTOR,
            body: { psa, mappings: broken },
          });
        }
        log.info('reconcile finished', { connectionId, runId, ...counts });
        return { status: 'completed', reason: null, runId, ...counts };

        /** One absolute set; 'gone' when the billing object vanished since the listing. */
        async function repair(adapter: PsaAdapter, t: ReconcileTarget, line: BillingLine): Promise<'done' | 'gone' | null> {
          try {
            const change = await adapter.setBillingQuantity(t.values, t.seatCount, line);
            await recordSeatSync(db, { organizationId: t.organizationId, connectionId, desired: t.seatCount, status: 'in_sync', error: null });
            await writeAudit(db, { partnerId, connectionId, actor: RECONCILE_ACTOR, action: 'psa.set_quantity', target: t.organizationId, outcome: 'ok', detail: { previous: change.previous, current: change.current, runId } });
            return 'done';
          } catch (err) {
            if (err instanceof PsaNotFoundError || err instanceof PsaValidationError) {
              await writeAudit(db, { partnerId, connectionId, actor: RECONCILE_ACTOR, action: 'psa.set_quantity', target: t.organizationId, outcome: 'error', detail: { error: err.message, runId } });
              return err instanceof PsaNotFoundError ? 'gone' : null;
            }
            throw err;
          }
        }
      });
    },
  };
}

export type ReconcileActivities = ReturnType<typeof createReconcileActivities>;
