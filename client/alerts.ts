/**
 * The platform's typed client for backup alerts. `reportAlert` records the alert (idempotent by
 * the platform's event id: a repeat gets the first answer) and signal-with-starts the
 * organization × problem workflow, so repeats never open a second ticket. `alertTrace` reads an
 * alert's whole story back from PostgreSQL (alert row, ticket row, audit log).
 */
import type { Client } from '@temporalio/client';
import { sql } from 'kysely';
import { z } from 'zod';
import type { Db } from '../db/connect';
import { InvalidInput, NotFound, RuleViolation } from '../domain/errors';
import { issuesOf } from '../api/http';
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

export const alertInputSchema = z
  .object({
    /** The platform's id of this event; the same id twice is one alert. */
    eventId: z.string().trim().min(1).max(200),
    organizationId: z.uuid(),
    problem: z.enum(PROBLEMS),
    event: z.enum(ALERT_EVENTS),
    occurredAt: z.iso.datetime({ offset: true }),
    /** Free-form context from the platform (job id, mailbox…); stored, never sent to the PSA. */
    detail: z.record(z.string(), z.unknown()).optional(),
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

export interface AlertsClientOptions {
  db: Db;
  temporal: Client;
  taskQueue: string;
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
      const parsed = alertInputSchema.safeParse(raw);
      if (!parsed.success) throw new InvalidInput(issuesOf(parsed.error));
      const input = parsed.data;
      // One statement: the organization, where it is mapped (the run's PsaVendor at start) and
      // the alert row inserted for it (nothing when the event id is known already).
      const found = await db
        .with('org', (qb) =>
          qb
            .selectFrom('organizations as o')
            .leftJoin('organizationMappings as om', 'om.organizationId', 'o.id')
            .select(['o.id', 'o.partnerId', 'om.psa'])
            .where('o.id', '=', input.organizationId),
        )
        .with('ins', (qb) =>
          qb
            .insertInto('alerts')
            .columns(['eventId', 'partnerId', 'organizationId', 'problem', 'event', 'occurredAt', 'detail'])
            .expression((eb) =>
              eb
                .selectFrom('org')
                .select([
                  eb.val(input.eventId).as('eventId'),
                  'org.partnerId',
                  'org.id',
                  eb.val(input.problem).as('problem'),
                  eb.val(input.event).as('event'),
                  sql<Date>`${input.occurredAt}::timestamptz`.as('occurredAt'),
                  sql<string>`${JSON.stringify(input.detail ?? {})}::jsonb`.as('detail'),
                ]),
            )
            .onConflict((oc) => oc.column('eventId').doNothing())
            .returningAll(),
        )
        .selectFrom('org')
        .leftJoin('ins', (join) => join.onTrue())
        .select(['org.partnerId', 'org.psa', 'ins.id as insertedId', 'ins.occurredAt as insertedOccurredAt', 'ins.receivedAt as insertedReceivedAt'])
        .executeTakeFirst();
      if (!found) throw new NotFound('Organization');
      const org = found;
      const inserted =
        found.insertedId !== null && found.insertedOccurredAt !== null && found.insertedReceivedAt !== null
          ? {
              id: found.insertedId,
              eventId: input.eventId,
              organizationId: input.organizationId,
              problem: input.problem as string,
              event: input.event,
              occurredAt: found.insertedOccurredAt,
              receivedAt: found.insertedReceivedAt,
              outcome: null,
            }
          : null;
      const row = inserted ?? (await db.selectFrom('alerts').selectAll().where('eventId', '=', input.eventId).executeTakeFirstOrThrow());
      if (!inserted && (row.organizationId !== input.organizationId || row.problem !== input.problem || row.event !== input.event)) {
        throw new RuleViolation('event_id_reused', `Event ${input.eventId} was already reported for another organization, problem or event`);
      }
      // A repeat of an alert not yet handled is signalled again (the workflow ignores ids it has
      // seen), so an alert whose first delivery died between the insert and the signal is not lost.
      if (inserted || row.outcome === null) await signal(row, org.partnerId, org);
      return { receipt: toReceipt(row), duplicate: !inserted };
    },

    async alertTrace(eventId: string, partnerIds?: readonly string[]): Promise<AlertTrace> {
      const alert = await db.selectFrom('alerts').selectAll().where('eventId', '=', eventId).executeTakeFirst();
      if (!alert || (partnerIds && !partnerIds.includes(alert.partnerId))) throw new NotFound('Alert');
      const ticket = alert.ticketId
        ? await db
            .selectFrom('tickets as t')
            .innerJoin('connections as c', 'c.id', 't.connectionId')
            .select(['t.id', 't.marker', 'c.psa', 't.psaTicketId', 't.psaTicketNumber', 't.state', 't.closedBy', 't.noteCount', 't.connectionId'])
            .where('t.id', '=', alert.ticketId)
            .executeTakeFirst()
        : undefined;
      const steps: TraceStep[] = [{ at: alert.receivedAt.toISOString(), step: 'received', detail: { event: alert.event, occurredAt: alert.occurredAt.toISOString() } }];
      if (ticket) {
        steps.push({ at: alert.receivedAt.toISOString(), step: 'mapped', detail: { psa: ticket.psa, connectionId: ticket.connectionId } });
        const audits = await db
          .selectFrom('auditLog')
          .selectAll()
          .where((eb) => eb.or([eb('target', '=', `ticket:${ticket.marker}`), eb.and([eb('action', '=', 'platform.alert_reset'), eb(sql<string>`detail->>'ticketRowId'`, '=', ticket.id)])]))
          .orderBy('id')
          .execute();
        for (const a of audits) {
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
