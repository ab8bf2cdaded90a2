/**
 * Activity options of the service-ticket workflow. PSA calls retry a few times quickly (the
 * adapter already retried idempotent reads); after that the workflow itself waits out the
 * outage (`TicketPolicy.outageRetryMs`) until the catch-up window closes, so a long PSA outage
 * costs timers, not a storm of activity attempts.
 */
import type { ActivityOptions, LocalActivityOptions, RetryPolicy } from '@temporalio/workflow';
import { NON_RETRYABLE } from './options';

/** Failures that mean "the PSA or the connection is down for now": wait and try again. */
export const OUTAGE_FAILURES = new Set(['ConnectionUnhealthyError', 'PsaAuthError', 'PsaUnavailableError', 'PsaRateLimitedError']);

/** Failures that mean "the integration is gone": stop quietly. */
export const GONE_FAILURES = new Set(['NotFound']);

export const ticketDbActivity: ActivityOptions = {
  startToCloseTimeout: '15s',
  retry: { initialInterval: '200ms', backoffCoefficient: 2, maximumInterval: '5s', nonRetryableErrorTypes: [...NON_RETRYABLE, 'NotFound'] },
};

const psaRetry: RetryPolicy = {
  initialInterval: '500ms',
  backoffCoefficient: 2,
  maximumInterval: '10s',
  maximumAttempts: 5,
  nonRetryableErrorTypes: [...NON_RETRYABLE, 'NotFound'],
};

/** Runs from before revision 2: PSA calls as ordinary activities. */
export const ticketPsaActivity: ActivityOptions = {
  startToCloseTimeout: '45s',
  // PSA activities heartbeat every second: a worker killed mid-call is noticed in seconds.
  heartbeatTimeout: '5s',
  retry: psaRetry,
};

/**
 * Revision 2 on: PSA calls as local activities, run by the worker holding the workflow task.
 * A ticket call is a few short HTTP requests; as an ordinary activity it costs the server a task
 * dispatch, three history events and a second workflow task, which is most of a lifecycle's
 * Temporal cost. A worker killed mid-call is noticed by the workflow task timeout (10 s), and the
 * call runs again; every ticket write finds what an earlier attempt left (marker, note token).
 */
export const ticketPsaLocalActivity: LocalActivityOptions = {
  startToCloseTimeout: '45s',
  retry: psaRetry,
};
