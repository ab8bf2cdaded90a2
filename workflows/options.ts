/** Named activity-option profiles; every proxyActivities call in workflows/ uses one of these. */
import type { ActivityOptions } from '@temporalio/workflow';

/** Error class names no retry can fix (PSA errors from psa/core/errors.ts + our own). */
export const NON_RETRYABLE = [
  'PsaAuthError',
  'PsaPermissionError',
  'PsaNotFoundError',
  'PsaValidationError',
  'PsaConfigError',
  'RuleViolation',
  'ConnectionUnhealthyError',
  'DecryptionError',
];

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
