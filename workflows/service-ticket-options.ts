/**
 * Activity options of the service-ticket workflow, and how it reads their failures. PSA calls
 * retry a few times quickly (the adapter already retried idempotent reads); after that the
 * workflow itself waits out the outage (`TicketPolicy.outageRetryMs`) until the catch-up window
 * closes, so a long PSA outage costs timers, not a storm of activity attempts.
 */
import type { ActivityOptions, LocalActivityOptions } from '@temporalio/workflow';
import { NON_RETRYABLE } from './options';
import { SKIP_REASONS, type SkipReason } from './ticket-messages';

/**
 * The skip reason of a RuleViolation a ticket call refused with, by its code: a code that is a
 * skip reason (`ticket_mapping_missing`) is that reason; otherwise the organization's mapping no
 * longer leads to a ticket (`ticket_row_missing`: the ticket went with its organization).
 */
export function skipReasonOfRule(code: string | null): SkipReason {
  return (SKIP_REASONS as readonly (string | null)[]).includes(code) ? (code as SkipReason) : 'organization_unmapped';
}

export const ticketDbActivity: ActivityOptions = {
  startToCloseTimeout: '15s',
  retry: { initialInterval: '200ms', backoffCoefficient: 2, maximumInterval: '5s', nonRetryableErrorTypes: NON_RETRYABLE },
};

/**
 * PSA calls run as local activities, by the worker holding the workflow task. A ticket call is a
 * few short HTTP requests; as an ordinary activity it would cost the server a task dispatch,
 * three history events and a second workflow task, which is most of a lifecycle's Temporal cost.
 * A worker killed mid-call is noticed by the workflow task timeout (10 s), and the call runs
 * again; every ticket write finds what an earlier attempt left (marker, note token, outcome).
 */
export const ticketPsaCall: LocalActivityOptions = {
  startToCloseTimeout: '45s',
  retry: {
    initialInterval: '500ms',
    backoffCoefficient: 2,
    maximumInterval: '10s',
    maximumAttempts: 5,
    nonRetryableErrorTypes: NON_RETRYABLE,
  },
};
