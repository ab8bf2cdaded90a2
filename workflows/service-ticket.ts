/**
 * One workflow per organization × problem (id `ticket/<organizationId>/<problem>`), started by
 * signal-with-start, so every raise, repeat and recovery of that problem lands on the same run
 * and a second ticket is never opened for one episode:
 *
 *   raised    → resolve the organization's PSA mapping → open a ticket (find-by-marker first)
 *   repeats   → collected for `debounceMs`, then one note on the same ticket
 *   recovered → close with the mapped closed status (note only if a technician worked on it)
 *   raised again within `flapWindowMs` of our close → the same ticket is reopened
 *   PSA closes it first (webhook signal, or polling backstop) → the platform is told, run ends
 *   integrationRevoked → pending alerts recorded as skipped, no PSA call, run ends
 *
 * PSA or connection outages make the alert wait (timers, not activity retries) until it is older
 * than `catchUpWindowMs`, when it is recorded as skipped. Every alert ends with an outcome row.
 * A call the rate budget cannot serve soon is given a reserved place and the run waits for it on
 * a timer (however long: the budget's queue is not an outage); a safety poll gives way to them.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { TicketActivities, TicketRef } from '../activities/tickets';
import type { AlertActivities } from '../activities/alerts';
import type { PlatformCallbackActivities } from '../activities/platform-callback';
import type { AlertOutcome } from './ticket-messages';
import {
  PROBLEM_TITLES,
  alertSignal,
  integrationRevokedSignal,
  organizationUnlinkedSignal,
  psaTicketChangedSignal,
  serviceTicketStatusQuery,
  type AlertSignal,
  type CarriedTicketState,
  type OpenTicketRef,
  type PsaTicketChanged,
  type ServiceTicketInput,
  type SkipReason,
  type TicketPhase,
  BUDGET_BUSY,
  BUDGET_DEFERRED,
  type BudgetDeferral,
  type TicketBudget,
} from './ticket-messages';
import { skipReasonOfRule, ticketDbActivity, ticketPsaCall } from './service-ticket-options';
import { GONE_FAILURE_TYPES, OUTAGE_FAILURE_TYPES } from './options';
import { applicationFailureOf, type DomainFailureDetail } from './integration-messages';
import { OrganizationIdKey, PartnerIdKey, ProblemKey, TicketStateKey, VendorKey } from './search-attributes';

/** Patch id: safety polls are spread around the policy's interval (see pollWaitMs). */
const SPREAD_SAFETY_POLLS = 'service-ticket-spread-safety-polls';

type AllActivities = TicketActivities & AlertActivities & PlatformCallbackActivities;
/** Database writes and the platform callback: ordinary activities. */
const store = proxyActivities<AllActivities>(ticketDbActivity);
/** PSA calls: local activities (README, "How a ticket run calls the PSA"). */
const psa = proxyLocalActivities<AllActivities>(ticketPsaCall);

/** Past this many events the run continues as new while idle (well under Temporal's limits). */
const HISTORY_BUDGET = 4_000;
/** Alert ids remembered for de-duplication of re-delivered signals. */
const SEEN_MEMORY = 500;

export interface ServiceTicketSummary {
  stopReason: string;
  episode: number;
  psaTicketId: string | null;
}

type Attempt<T> = { ok: true; value: T } | { ok: false; reason: SkipReason; sentence: string };

/*
 * A PSA call fails with the activity's ApplicationFailure itself (a local activity's failure is
 * not wrapped in an ActivityFailure), or with a timeout or cancellation failure.
 */
function failureType(err: unknown): string {
  const failure = applicationFailureOf(err);
  if (failure) return failure.type ?? 'Error';
  if (err instanceof ActivityFailure) return err.cause?.name ?? 'ActivityFailure';
  return err instanceof Error ? err.name : 'Error';
}

/** The stable code of a RuleViolation the activity refused with (its failure's details). */
function ruleCode(err: unknown): string | null {
  const failure = applicationFailureOf(err);
  if (failure?.type !== 'RuleViolation') return null;
  return (failure.details?.[0] as Partial<DomainFailureDetail> | undefined)?.code ?? null;
}

function failureMessage(err: unknown): string {
  const cause = applicationFailureOf(err) ?? (err instanceof ActivityFailure ? err.cause : err);
  return cause instanceof Error ? cause.message : String(cause);
}

export async function serviceTicketWorkflow(input: ServiceTicketInput): Promise<ServiceTicketSummary> {
  const { organizationId, problem, partnerId, policy } = input;
  const carried: CarriedTicketState | undefined = input.carried;
  let ticket: OpenTicketRef | null = carried?.ticket ?? null;
  let phase: TicketPhase = carried?.phase ?? 'idle';
  let closedAtMs: number | null = carried?.closedAtMs ?? null;
  let alertActive = carried?.alertActive ?? false;
  const pending: AlertSignal[] = [...(carried?.pending ?? [])];
  const seen: string[] = [...(carried?.seenAlertIds ?? [])];
  /** Repeats waiting for the next note. */
  let repeats: AlertSignal[] = [];
  let flushAtMs: number | null = null;
  /**
   * The wait until the next safety poll. Runs opened together (an alert storm) would otherwise all
   * read their tickets back at the same moment, a burst of workflow tasks and PSA reads: each wait
   * is drawn from ±20% of the policy's interval (the workflow's seeded random, so replay draws the
   * same). Runs started before the patch keep the exact interval.
   */
  const pollWaitMs = () => (patched(SPREAD_SAFETY_POLLS) ? Math.round(policy.pollIntervalMs * (0.8 + 0.4 * Math.random())) : policy.pollIntervalMs);
  let nextPollAtMs: number | null = ticket && phase === 'open' ? Date.now() + pollWaitMs() : null;
  let revoked = false;
  /** The organization was unlinked from the PSA: like a revoke for this run (old runs never get the signal). */
  let unlinked = false;
  let psaChange: PsaTicketChanged | null = null;
  /** The pending change is our own safety poll (it gives way to calls waiting for the budget). */
  let psaChangeIsPoll = false;
  let stopReason: string | null = null;
  /** The ticket of the last episode, for the run's result after the PSA closed it. */
  let lastTicket: OpenTicketRef | null = null;

  setHandler(alertSignal, (a) => {
    if (seen.includes(a.alertId)) return;
    seen.push(a.alertId);
    if (seen.length > SEEN_MEMORY) seen.splice(0, seen.length - SEEN_MEMORY);
    pending.push(a);
  });
  // An event can overtake the open's answer (the row is written and the webhook signalled before
  // the run has the result): with no ticket known yet it is kept, and matched once the open returns.
  setHandler(psaTicketChangedSignal, (e) => {
    if (!ticket || e.psaTicketId === ticket.psaTicketId) {
      psaChange = e;
      psaChangeIsPoll = false;
    }
  });
  setHandler(integrationRevokedSignal, () => {
    revoked = true;
  });
  setHandler(organizationUnlinkedSignal, () => {
    unlinked = true;
  });
  const stopping = () => revoked || unlinked;
  setHandler(serviceTicketStatusQuery, () => ({
    phase,
    episode: ticket?.episode ?? 0,
    psaTicketId: ticket?.psaTicketId ?? null,
    pendingAlerts: pending.length,
    bufferedRepeats: repeats.length,
    stopReason,
  }));

  // The client sets these at start; a continued run (or one started another way) sets them itself.
  if (carried || workflowInfo().typedSearchAttributes.get(OrganizationIdKey) === undefined) {
    upsertSearchAttributes([
      { key: PartnerIdKey, value: partnerId },
      { key: OrganizationIdKey, value: organizationId },
      { key: ProblemKey, value: problem },
      { key: TicketStateKey, value: phase === 'open' ? 'open' : 'none' },
    ]);
  }
  const setTicketState = (state: string) => upsertSearchAttributes([{ key: TicketStateKey, value: state }]);

  const ref = (budget: TicketBudget): TicketRef => {
    if (!ticket) throw ApplicationFailure.nonRetryable('no ticket', 'InvariantBroken');
    return { ticketRowId: ticket.ticketRowId, connectionId: ticket.connectionId, psaTicketId: ticket.psaTicketId, budget };
  };

  const record = (alerts: AlertSignal[], outcome: AlertOutcome, reason: string | null, detail?: Record<string, unknown>) =>
    store.recordAlertOutcome({ alertIds: alerts.map((a) => a.alertId), outcome, reason, ticketRowId: ticket?.ticketRowId ?? null, ...(detail ? { detail } : {}) });

  /**
   * Runs a PSA step; during an outage waits (interruptible by revocation) and tries again while
   * the oldest alert it serves is inside the catch-up window. Deferred by the rate budget, it
   * waits for its reserved place and comes back with it.
   */
  async function withCatchUp<T>(oldestAt: string, step: (budget: TicketBudget) => Promise<T>, background = false): Promise<Attempt<T>> {
    let budget: TicketBudget = background ? { background: true } : {};
    for (;;) {
      if (revoked) return { ok: false, reason: 'integration_revoked', sentence: 'The integration was revoked' };
      if (unlinked) return { ok: false, reason: 'organization_unmapped', sentence: 'The organization was unlinked from the PSA' };
      try {
        return { ok: true, value: await step(budget) };
      } catch (err) {
        const type = failureType(err);
        if (type === BUDGET_DEFERRED) {
          const deferral = applicationFailureOf(err)?.details?.[0] as Partial<BudgetDeferral> | undefined;
          budget = deferral?.reservation ? { reservation: deferral.reservation } : {};
          setTicketState('waiting_budget');
          await condition(stopping, Math.max(1, deferral?.retryInMs ?? policy.outageRetryMs));
          continue;
        }
        if (type === BUDGET_BUSY) return { ok: false, reason: 'psa_unavailable', sentence: 'The PSA request budget is needed for other work' };
        if (GONE_FAILURE_TYPES.has(type)) return { ok: false, reason: 'integration_revoked', sentence: 'The PSA connection no longer exists' };
        if (type === 'RuleViolation') return { ok: false, reason: skipReasonOfRule(ruleCode(err)), sentence: failureMessage(err) };
        // Retryable failures that outlived the call's own retries (5xx, 429, timeouts) wait too.
        const outage = OUTAGE_FAILURE_TYPES.has(type) || applicationFailureOf(err)?.nonRetryable !== true;
        if (!outage) return { ok: false, reason: 'psa_rejected', sentence: `The PSA refused the request: ${failureMessage(err)}` };
        const unhealthy = type === 'ConnectionUnhealthyError' || type === 'PsaAuthError';
        if (Date.now() - Date.parse(oldestAt) > policy.catchUpWindowMs) {
          return {
            ok: false,
            reason: unhealthy ? 'connection_unhealthy' : 'psa_unavailable',
            sentence: unhealthy ? 'The PSA connection stayed unhealthy past the catch-up window' : 'The PSA stayed unavailable past the catch-up window',
          };
        }
        setTicketState(unhealthy ? 'waiting_unhealthy' : 'waiting_psa');
        await condition(stopping, policy.outageRetryMs);
      }
    }
  }

  async function openOrReopen(alert: AlertSignal): Promise<void> {
    alertActive = true;
    // Flapping: our own close is recent, so the same ticket comes back.
    if (phase === 'closed' && ticket && closedAtMs !== null && Date.now() - closedAtMs <= policy.flapWindowMs) {
      const r = await withCatchUp(alert.occurredAt, (budget) =>
        psa.reopenServiceTicket(ref(budget), `${PROBLEM_TITLES[input.problem]} is failing again (${alert.occurredAt}); reopened by the backup platform.`, [alert.alertId]),
      );
      if (!r.ok) return skip([alert], r);
      phase = 'open';
      closedAtMs = null;
      nextPollAtMs = Date.now() + pollWaitMs();
      setTicketState('open');
      return;
    }
    // One activity resolves the mapping, opens (or adopts) the ticket and records the outcome.
    const r = await withCatchUp(alert.occurredAt, (budget) => psa.openServiceTicket({ organizationId, problem, occurredAt: alert.occurredAt, alertIds: [alert.alertId], budget }));
    if (!r.ok) return skip([alert], r);
    const opened = r.value;
    if (opened.kind === 'skipped') {
      upsertSearchAttributes([{ key: VendorKey, value: opened.psa ?? 'none' }]);
      if (phase !== 'open') setTicketState('none');
      return;
    }
    ticket = { ticketRowId: opened.ticketRowId, connectionId: opened.connectionId, psaTicketId: opened.psaTicketId, marker: opened.marker, episode: opened.episode };
    phase = 'open';
    closedAtMs = null;
    stopReason = null;
    nextPollAtMs = Date.now() + pollWaitMs();
    upsertSearchAttributes([
      { key: VendorKey, value: opened.psa },
      { key: TicketStateKey, value: 'open' },
    ]);
  }

  async function skip(alerts: AlertSignal[], r: { reason: SkipReason; sentence: string }): Promise<void> {
    await store.recordAlertOutcome({ alertIds: alerts.map((a) => a.alertId), outcome: 'skipped', reason: `${r.reason}: ${r.sentence}`, ticketRowId: null });
    if (phase !== 'open') setTicketState('none');
  }

  /** One note for every repeat collected in the debounce window. */
  async function flushRepeats(): Promise<void> {
    const batch = repeats;
    repeats = [];
    flushAtMs = null;
    if (batch.length === 0 || !ticket) return;
    const first = batch[0] as AlertSignal;
    const last = batch[batch.length - 1] as AlertSignal;
    const text =
      batch.length === 1
        ? `${PROBLEM_TITLES[input.problem]} reported again at ${first.occurredAt}.`
        : `${PROBLEM_TITLES[input.problem]} reported again ${batch.length} times between ${first.occurredAt} and ${last.occurredAt}.`;
    const r = await withCatchUp(first.occurredAt, (budget) => psa.addServiceTicketNote(ref(budget), text, batch.map((a) => a.alertId)));
    if (!r.ok) return skip(batch, r);
  }

  async function recover(alert: AlertSignal): Promise<void> {
    alertActive = false;
    if (phase !== 'open' || !ticket) {
      await record([alert], 'no_open_ticket', null);
      return;
    }
    // Repeats still in the debounce window go into the closing note instead of a note of their own.
    const folded = repeats;
    repeats = [];
    flushAtMs = null;
    const extra = folded.length > 0 ? ` It was reported ${folded.length} more time(s) before recovering.` : '';
    const note = `${PROBLEM_TITLES[input.problem]} recovered at ${alert.occurredAt}.${extra}`;
    const r = await withCatchUp(alert.occurredAt, (budget) => psa.closeServiceTicket(ref(budget), note, { recovery: alert.alertId, folded: folded.map((a) => a.alertId) }));
    if (!r.ok) return skip([alert, ...folded], r);
    if (r.value === 'closed' || r.value === 'already_closed') {
      phase = 'closed';
      closedAtMs = Date.now();
      nextPollAtMs = null;
      setTicketState('closed');
    } else if (r.value === 'closed_in_psa') {
      await closedInPsa(false);
    }
  }

  /** The PSA closed (or deleted) the ticket before we did: tell the platform, forget the ticket. */
  async function closedInPsa(deleted: boolean): Promise<void> {
    if (!ticket) return;
    await store.markTicketClosedByPsa(ticket.ticketRowId, deleted);
    if (repeats.length > 0) {
      await skip(repeats, { reason: 'ticket_closed_in_psa', sentence: 'The ticket was closed in the PSA before the repeats were noted' });
      repeats = [];
      flushAtMs = null;
    }
    if (alertActive) {
      await store.notifyPlatformAlertReset({
        ticketRowId: ticket.ticketRowId,
        organizationId,
        problem,
        partnerId,
        connectionId: ticket.connectionId,
        psaTicketId: ticket.psaTicketId,
        how: deleted ? 'deleted_in_psa' : 'closed_in_psa',
      });
      alertActive = false;
    }
    lastTicket = ticket;
    ticket = null;
    phase = 'idle';
    nextPollAtMs = null;
    stopReason = 'closed_in_psa';
    setTicketState('closed_in_psa');
  }

  /** A PSA event, or our safety poll (`poll`: a background read, skipped while the budget is needed elsewhere). */
  async function onPsaChange(change: PsaTicketChanged, poll: boolean): Promise<void> {
    if (!ticket || phase !== 'open') return;
    if (change.psaTicketId !== ticket.psaTicketId) return;
    let closed = change.closed;
    let deleted = false;
    if (closed === undefined) {
      const r = await withCatchUp(new Date().toISOString(), (budget) => psa.readServiceTicket(ref(budget)), poll);
      if (!r.ok) return;
      closed = r.value.closed;
      deleted = r.value.deleted;
    }
    if (closed) await closedInPsa(deleted);
  }

  /** Revoked, or the organization unlinked: what is waiting is recorded as skipped, the open ticket left to the PSA. */
  async function stop(why: 'integration_revoked' | 'organization_unmapped'): Promise<void> {
    const unhandled = [...pending.splice(0), ...repeats];
    repeats = [];
    const sentence = why === 'integration_revoked' ? 'The integration was revoked' : 'The organization was unlinked from the PSA';
    if (unhandled.length > 0) await skip(unhandled, { reason: why, sentence });
    if (ticket && phase === 'open') await store.abandonServiceTicket(ticket.ticketRowId, why === 'integration_revoked' ? why : 'organization_unlinked');
    stopReason = why === 'integration_revoked' ? why : 'organization_unlinked';
    phase = 'stopped';
    setTicketState(why === 'integration_revoked' ? 'revoked' : 'unlinked');
  }

  for (;;) {
    if (revoked) {
      await stop('integration_revoked');
      break;
    }
    if (unlinked) {
      await stop('organization_unmapped');
      break;
    }
    if (psaChange) {
      const change: PsaTicketChanged = psaChange;
      const poll = psaChangeIsPoll;
      psaChange = null;
      psaChangeIsPoll = false;
      await onPsaChange(change, poll);
      continue;
    }
    const next = pending.shift();
    if (next) {
      if (next.event === 'recovered') await recover(next);
      else if (phase === 'open') {
        alertActive = true;
        repeats.push(next);
        flushAtMs ??= Date.now() + policy.debounceMs;
      } else await openOrReopen(next);
      continue;
    }
    const now = Date.now();
    if (flushAtMs !== null && now >= flushAtMs) {
      await flushRepeats();
      continue;
    }
    if (phase === 'open' && nextPollAtMs !== null && now >= nextPollAtMs) {
      nextPollAtMs = now + pollWaitMs();
      psaChange = { psaTicketId: ticket?.psaTicketId ?? '' };
      psaChangeIsPoll = true;
      continue;
    }
    if (phase === 'closed' && closedAtMs !== null && now - closedAtMs >= policy.flapWindowMs) phase = 'idle';
    if (phase === 'idle' && repeats.length === 0) {
      stopReason ??= ticket ? 'closed' : 'nothing_open';
      break;
    }
    if (workflowInfo().historyLength > HISTORY_BUDGET || workflowInfo().continueAsNewSuggested) {
      await condition(allHandlersFinished);
      if (pending.length === 0 && repeats.length === 0 && !stopping() && !psaChange) {
        await continueAsNew<typeof serviceTicketWorkflow>({
          ...input,
          carried: { ticket, phase, closedAtMs, pending, seenAlertIds: seen, alertActive },
        });
      }
      continue;
    }
    const deadlines = [flushAtMs, phase === 'open' ? nextPollAtMs : null, phase === 'closed' && closedAtMs !== null ? closedAtMs + policy.flapWindowMs : null].filter(
      (d): d is number => d !== null,
    );
    const waitMs = deadlines.length > 0 ? Math.max(1, Math.min(...deadlines) - now) : undefined;
    if (waitMs === undefined) await condition(() => pending.length > 0 || stopping() || psaChange !== null);
    else await condition(() => pending.length > 0 || stopping() || psaChange !== null, waitMs);
  }
  await condition(allHandlersFinished);
  const last = ticket ?? lastTicket;
  return { stopReason: stopReason ?? 'done', episode: last?.episode ?? 0, psaTicketId: last?.psaTicketId ?? null };
}
