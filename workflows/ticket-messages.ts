/**
 * Everything the service-ticket workflow shares with its callers (client, API routes, the
 * integration lifecycle): workflow ids, signals, the alert vocabulary and the timing policy.
 * Pure and deterministic, so both the workflow bundle and Node code import it.
 */
import { defineQuery, defineSignal } from '@temporalio/workflow';

export const PROBLEMS = ['backup_failed', 'backup_overdue', 'seats_above_plan', 'mailbox_unreachable', 'site_unreachable'] as const;
export type Problem = (typeof PROBLEMS)[number];

export const ALERT_EVENTS = ['raised', 'recovered'] as const;
export type AlertEventKind = (typeof ALERT_EVENTS)[number];

export const PROBLEM_TITLES: Record<Problem, string> = {
  backup_failed: 'Backup failed',
  backup_overdue: 'Backup overdue',
  seats_above_plan: 'Seats above plan',
  mailbox_unreachable: 'Mailbox unreachable',
  site_unreachable: 'Site unreachable',
};

/** One workflow per organization × problem: repeats and recoveries land on the same run. */
export function serviceTicketWorkflowId(organizationId: string, problem: string): string {
  return `ticket/${organizationId}/${problem}`;
}

/** Our idempotency marker, stored in the PSA's external-reference field (one per episode). */
export function ticketMarker(organizationId: string, problem: string, episode: number): string {
  return `psa-sync:${organizationId}:${problem}:${episode}`;
}

/** The episode number back out of a marker (null when the marker is not ours). */
export function episodeOfMarker(marker: string): number | null {
  const m = /:(\d+)$/.exec(marker);
  return m ? Number(m[1]) : null;
}

/** An alert as the workflow sees it: the row id in `alerts`, never the platform's payload. */
export interface AlertSignal {
  alertId: string;
  event: AlertEventKind;
  /** ISO time the platform observed it (catch-up windows are measured from here). */
  occurredAt: string;
}

/** A PSA told us (webhook) that the ticket changed; `closed` undefined means "read it". */
export interface PsaTicketChanged {
  psaTicketId: string;
  closed?: boolean;
}

export const alertSignal = defineSignal<[AlertSignal]>('alert');
export const psaTicketChangedSignal = defineSignal<[PsaTicketChanged]>('psaTicketChanged');
/** Sent by the integration lifecycle's revoke saga to every workflow of the partner × PSA. */
export const integrationRevokedSignal = defineSignal('integrationRevoked');
/**
 * Sent by the lifecycle's organization unlink (by hand, or for an organization deleted on the
 * platform) to the organization's ticket runs with an open ticket: the run stops writing.
 */
export const organizationUnlinkedSignal = defineSignal('organizationUnlinked');

export type TicketPhase = 'idle' | 'open' | 'closed' | 'stopped';

export interface ServiceTicketStatus {
  phase: TicketPhase;
  episode: number;
  psaTicketId: string | null;
  pendingAlerts: number;
  bufferedRepeats: number;
  stopReason: string | null;
}
export const serviceTicketStatusQuery = defineQuery<ServiceTicketStatus>('status');

/** Timing rules; milliseconds so they travel as plain JSON. */
export interface TicketPolicy {
  /** Repeats are collected this long, then written as one note. */
  debounceMs: number;
  /** A failure within this long after we closed the ticket reopens it instead of opening a new one. */
  flapWindowMs: number;
  /** While the PSA or the connection is down, alerts younger than this wait; older ones are skipped. */
  catchUpWindowMs: number;
  /** How often an open ticket is read back, in case the PSA's webhook never arrives (each wait ±20%, so runs opened together poll apart). */
  pollIntervalMs: number;
  /** Pause between attempts while the PSA or the connection is down. */
  outageRetryMs: number;
}

export const DEFAULT_TICKET_POLICY: TicketPolicy = {
  debounceMs: 30_000,
  flapWindowMs: 30 * 60_000,
  catchUpWindowMs: 48 * 3_600_000,
  pollIntervalMs: 15 * 60_000,
  outageRetryMs: 30_000,
};

export interface ServiceTicketInput {
  organizationId: string;
  problem: Problem;
  partnerId: string;
  policy: TicketPolicy;
  /** Carried over continue-as-new. */
  carried?: CarriedTicketState;
}

export interface OpenTicketRef {
  ticketRowId: string;
  connectionId: string;
  psaTicketId: string;
  marker: string;
  episode: number;
}

export interface CarriedTicketState {
  ticket: OpenTicketRef | null;
  phase: TicketPhase;
  /** Workflow time (ms) we closed the ticket; the flap window counts from here. */
  closedAtMs: number | null;
  pending: AlertSignal[];
  seenAlertIds: string[];
  /** The platform's alert is still active (a raise not yet followed by a recovery). */
  alertActive: boolean;
}

/** Outcomes recorded on `alerts.outcome`; `reason` carries the sentence. */
export type AlertOutcome =
  | 'ticket_created'
  | 'ticket_adopted'
  | 'ticket_reopened'
  | 'noted'
  | 'closed'
  | 'recovery_noted'
  | 'no_open_ticket'
  | 'skipped';

export const SKIP_REASONS = [
  'organization_unmapped',
  'ticket_mapping_missing',
  'integration_revoked',
  'connection_unhealthy',
  'psa_unavailable',
  'psa_rejected',
  'ticket_closed_in_psa',
] as const;
export type SkipReason = (typeof SKIP_REASONS)[number];

/**
 * How a ticket call may wait for the rate budget, as the workflow asks. Without it the call
 * waits in the worker for as long as the budget needs (callers outside a workflow).
 *  - `reservation`: the place an earlier deferral reserved;
 *  - `background`: a safety poll, refused while others need the budget.
 */
export interface TicketBudget {
  reservation?: string;
  background?: boolean;
}

/** Failure types of a call the budget turned away before anything was sent. */
export const BUDGET_DEFERRED = 'PsaBudgetDeferred';
export const BUDGET_BUSY = 'PsaBudgetBusy';

/** What a deferred call is told to come back with (its failure's details). */
export interface BudgetDeferral {
  retryInMs: number;
  reservation: string;
}
