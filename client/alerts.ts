/**
 * The platform's typed client for backup alerts. `reportAlert` records the alert (idempotent by
 * the platform's event id: a repeat gets the first answer) and signal-with-starts the
 * organization × problem workflow, so repeats never open a second ticket. `alertTrace` reads an
 * alert's whole story back from PostgreSQL (alert row, ticket row, audit log).
 */
import { z } from 'zod';
import { NotFound, RuleViolation, parseOrThrow } from '../domain/errors';
import { findAlertByEventId, receiveAlert } from '../db/repositories/alerts';
import { ticketForTrace } from '../db/repositories/tickets';
import { ticketAuditTrail } from '../db/repositories/audit';
import type { ClientDeps } from './deps';
import { safeJsonRecord, safeText, storableDateTime, uuidId } from '../domain/input';
import type { serviceTicketWorkflow } from '../workflows/service-ticket';
import {
  ALERT_EVENTS,
  DEFAULT_TICKET_POLICY,
  PROBLEMS,
  alertSignal,
  serviceTicketWorkflowId,
  type AlertSignal,
  type TicketPolicy,
} from '../workflows/ticket-messages';
import { OrganizationIdKey, PartnerIdKey, ProblemKey, TicketStateKey, VendorKey } from '../workflows/search-attributes';
import { metrics } from '../infra/metrics';

export const alertInputSchema = z
  .object({
    /** The platform's id of this event; the same id twice is one alert. */
    eventId: safeText().trim().min(1).max(200),
    organizationId: uuidId(),
    problem: z.enum(PROBLEMS),
    event: z.enum(ALERT_EVENTS),
    occurredAt: storableDateTime(),
    /** Free-form context from the platform (job id, mailbox…); stored, never sent to the PSA. */
    detail: safeJsonRecord().optional(),
  })
  .strict();
export type AlertInput = z.input<typeof alertInputSchema>;

export const alertReceiptSchema = z.object({
  alertId: z.uuid(),
  eventId: z.string(),
  organizationId: z.uuid(),
  problem: z.enum(PROBLEMS),
  event: z.enum(ALERT_EVENTS),
  workflowId: z.string(),
  receivedAt: z.string(),
});
export type AlertReceipt = z.infer<typeof alertReceiptSchema>;

export interface ReportResult {
  receipt: AlertReceipt;
  /** True when the event id was seen before (the receipt is the first one). */
  duplicate: boolean;
}

export interface TraceStep {
  at: string;
  step: string;
  detail: Record<string, unknown>;
}

export interface AlertTrace {
  alert: {
    alertId: string;
    eventId: string;
    organizationId: string;
    problem: string;
    event: string;
    occurredAt: string;
    receivedAt: string;
    outcome: string | null;
    reason: string | null;
    handledAt: string | null;
  };
  ticket: {
    marker: string;
    psa: string;
    psaTicketId: string;
    psaTicketNumber: string | null;
    state: string;
    closedBy: string | null;
    noteCount: number;
  } | null;
  steps: TraceStep[];
}

export interface AlertsClientOptions extends ClientDeps {
  /** Ticket timing (debounce, flap and catch-up windows); defaults from ticket-messages. */
  policy?: Partial<TicketPolicy>;
}

const AUDIT_STEPS: Record<string, string> = {
  'ticket.create': 'ticket_created',
  'ticket.adopt': 'ticket_adopted',
  'ticket.note': 'note_added',
  'ticket.close': 'ticket_closed',
  'ticket.reopen': 'ticket_reopened',
  'ticket.closed_in_psa': 'closed_in_psa',
  'ticket.abandon': 'ticket_abandoned',
  'platform.alert_reset': 'platform_alert_reset',
};

export function createAlertsClient(opts: AlertsClientOptions) {
  const { db, temporal, taskQueue } = opts;
  const policy: TicketPolicy = { ...DEFAULT_TICKET_POLICY, ...opts.policy };

  async function signal(row: { id: string; organizationId: string; problem: string; event: 'raised' | 'recovered'; occurredAt: Date }, partnerId: string, mapping: { psa: string | null }) {
    const problem = row.problem as (typeof PROBLEMS)[number];
    const sig: AlertSignal = { alertId: row.id, event: row.event, occurredAt: row.occurredAt.toISOString() };
    await temporal.workflow.signalWithStart<typeof serviceTicketWorkflow, [AlertSignal]>('serviceTicketWorkflow', {
      workflowId: serviceTicketWorkflowId(row.organizationId, row.problem),
      taskQueue,
      args: [{ organizationId: row.organizationId, problem, partnerId, policy }],
      signal: alertSignal,
      signalArgs: [sig],
      // Vendor is set at start so the lifecycle's revoke (PsaPartnerId + PsaVendor) finds the run.
      typedSearchAttributes: [
        { key: PartnerIdKey, value: partnerId },
        { key: VendorKey, value: mapping.psa ?? 'none' },
        { key: OrganizationIdKey, value: row.organizationId },
        { key: ProblemKey, value: row.problem },
        { key: TicketStateKey, value: 'none' },
      ],
    });
  }

  const toReceipt = (row: { id: string; eventId: string; organizationId: string; problem: string; event: 'raised' | 'recovered'; receivedAt: Date }): AlertReceipt => ({
    alertId: row.id,
    eventId: row.eventId,
    organizationId: row.organizationId,
    problem: row.problem as AlertReceipt['problem'],
    event: row.event,
    workflowId: serviceTicketWorkflowId(row.organizationId, row.problem),
    receivedAt: row.receivedAt.toISOString(),
  });

  return {
    async reportAlert(raw: unknown): Promise<ReportResult> {
      const input = parseOrThrow(alertInputSchema, raw);
      const found = await receiveAlert(db, { ...input, detail: input.detail ?? {} });
      if (!found || found.status === 'deleted') throw new NotFound('Organization');
      if (found.status === 'suspended' && input.event === 'raised') {
        throw new RuleViolation('organization_suspended', `Organization ${input.organizationId} is suspended: no new tickets are opened for it`);
      }
      const inserted = found.inserted
        ? { ...found.inserted, eventId: input.eventId, organizationId: input.organizationId, problem: input.problem as string, event: input.event, outcome: null }
        : null;
      const row = inserted ?? (await findAlertByEventId(db, input.eventId));
      if (!row) throw new NotFound('Alert');
      if (!inserted && (row.organizationId !== input.organizationId || row.problem !== input.problem || row.event !== input.event)) {
        throw new RuleViolation('event_id_reused', `Event ${input.eventId} was already reported for another organization, problem or event`);
      }
      // A repeat of an alert not yet handled is signalled again (the workflow ignores ids it has
      // seen), so an alert whose first delivery died between the insert and the signal is not lost.
      if (inserted || row.outcome === null) await signal(row, found.partnerId, found);
      metrics.alertsReceived.inc({ event: row.event, duplicate: inserted ? 'false' : 'true' });
      return { receipt: toReceipt(row), duplicate: !inserted };
    },

    async alertTrace(eventId: string, partnerIds?: readonly string[]): Promise<AlertTrace> {
      const alert = await findAlertByEventId(db, eventId);
      if (!alert || (partnerIds && !partnerIds.includes(alert.partnerId))) throw new NotFound('Alert');
      const ticket = alert.ticketId ? await ticketForTrace(db, alert.ticketId) : undefined;
      const steps: TraceStep[] = [{ at: alert.receivedAt.toISOString(), step: 'received', detail: { event: alert.event, occurredAt: alert.occurredAt.toISOString() } }];
      if (ticket) {
        steps.push({ at: alert.receivedAt.toISOString(), step: 'mapped', detail: { psa: ticket.psa, connectionId: ticket.connectionId } });
        for (const a of await ticketAuditTrail(db, ticket)) {
          steps.push({ at: a.at.toISOString(), step: a.outcome === 'ok' ? (AUDIT_STEPS[a.action] ?? a.action) : `${AUDIT_STEPS[a.action] ?? a.action}_failed`, detail: a.detail });
        }
      }
      if (alert.handledAt) steps.push({ at: alert.handledAt.toISOString(), step: `outcome:${alert.outcome}`, detail: alert.reason ? { reason: alert.reason } : {} });
      steps.sort((a, b) => a.at.localeCompare(b.at));
      return {
        alert: {
          alertId: alert.id,
          eventId: alert.eventId,
          organizationId: alert.organizationId,
          problem: alert.problem,
          event: alert.event,
          occurredAt: alert.occurredAt.toISOString(),
          receivedAt: alert.receivedAt.toISOString(),
          outcome: alert.outcome,
          reason: alert.reason,
          handledAt: alert.handledAt?.toISOString() ?? null,
        },
        ticket: ticket
          ? { marker: ticket.marker, psa: ticket.psa, psaTicketId: ticket.psaTicketId, psaTicketNumber: ticket.psaTicketNumber, state: ticket.state, closedBy: ticket.closedBy, noteCount: ticket.noteCount }
          : null,
        steps,
      };
    },
  };
}

export type AlertsClient = ReturnType<typeof createAlertsClient>;
