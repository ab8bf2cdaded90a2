/** Named activity-option profiles; every proxyActivities call in workflows/ uses one of these. */
import type { ActivityOptions } from '@temporalio/workflow';
import { ERRORS, NON_RETRYABLE_FAILURE_TYPES, WAITING_FAILURE_TYPES } from '../domain/error-catalogue';

/** Error class names no retry can fix, from the error catalogue (domain/error-catalogue.ts). */
export const NON_RETRYABLE: string[] = [...NON_RETRYABLE_FAILURE_TYPES];

/** Failures that mean "the PSA or the connection is down for now": ticket work waits and tries again. */
export const OUTAGE_FAILURE_TYPES: ReadonlySet<string> = new Set(WAITING_FAILURE_TYPES);

/** Failures that mean "the integration is gone" (its connection no longer exists): stop quietly. */
export const GONE_FAILURE_TYPES: ReadonlySet<string> = new Set([ERRORS.not_found.type]);

/** Database reads and writes: short, retried quickly. */
export const dbActivity: ActivityOptions = {
  startToCloseTimeout: '15s',
  retry: { initialInterval: '200ms', backoffCoefficient: 2, maximumInterval: '10s', nonRetryableErrorTypes: NON_RETRYABLE },
};

/** PSA calls: vendor latency, throttling and outages are expected; the adapter already retried reads. */
export const psaActivity: ActivityOptions = {
  startToCloseTimeout: '2m',
  retry: {
    initialInterval: '1s',
    backoffCoefficient: 2,
    maximumInterval: '1m',
    maximumAttempts: 8,
    nonRetryableErrorTypes: NON_RETRYABLE,
  },
};
