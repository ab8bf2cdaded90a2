/**
 * Typed failures of a PSA call. Adapters throw only these; activities turn them into
 * Temporal failures whose `type` is the class name, so workflows and retry policies can
 * branch on them (see `NON_RETRYABLE_PSA_ERRORS`). Messages never carry credentials.
 */
export type PsaErrorKind =
  | 'auth'
  | 'permission'
  | 'not_found'
  | 'validation'
  | 'rate_limited'
  | 'unavailable'
  | 'config';

export abstract class PsaError extends Error {
  abstract readonly kind: PsaErrorKind;
  /** Whether trying the same call again later can succeed. */
  abstract readonly retryable: boolean;
  readonly status: number | undefined;

  constructor(message: string, options: { status?: number; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.status = options.status;
  }
}

/** Credentials rejected, or the API user is locked / inactive. The connection becomes Unhealthy. */
export class PsaAuthError extends PsaError {
  readonly kind = 'auth' as const;
  readonly retryable = false;
  /** Set when the vendor says the account itself is unusable (locked, inactive). */
  readonly accountDisabled: boolean;
  constructor(message: string, options: { status?: number; accountDisabled?: boolean; cause?: unknown } = {}) {
    super(message, options);
    this.accountDisabled = options.accountDisabled ?? false;
  }
}

/** Credentials are valid but the API member / security level lacks a right. */
export class PsaPermissionError extends PsaError {
  readonly kind = 'permission' as const;
  readonly retryable = false;
}

/** The record does not exist (or was deleted in the PSA). */
export class PsaNotFoundError extends PsaError {
  readonly kind = 'not_found' as const;
  readonly retryable = false;
}

/** The vendor refused the payload; `details` holds the vendor's own messages. */
export class PsaValidationError extends PsaError {
  readonly kind = 'validation' as const;
  readonly retryable = false;
  readonly details: readonly string[];
  constructor(message: string, options: { status?: number; details?: readonly string[]; cause?: unknown } = {}) {
    super(message, options);
    this.details = options.details ?? [];
  }
}

/** The vendor (or our governor) throttled the call; retry after `retryAfterMs`. */
export class PsaRateLimitedError extends PsaError {
  readonly kind = 'rate_limited' as const;
  readonly retryable = true;
  readonly retryAfterMs: number;
  constructor(message: string, options: { status?: number; retryAfterMs: number; cause?: unknown }) {
    super(message, options);
    this.retryAfterMs = options.retryAfterMs;
  }
}

/** 5xx, timeouts, dropped connections: the outcome of a write is unknown, so writes must be idempotent. */
export class PsaUnavailableError extends PsaError {
  readonly kind = 'unavailable' as const;
  readonly retryable = true;
}

/** Our side is misconfigured: a site URL that fails validation, an unsupported option. */
export class PsaConfigError extends PsaError {
  readonly kind = 'config' as const;
  readonly retryable = false;
}

/** Class names of errors no retry can fix; used as Temporal `nonRetryableErrorTypes`. */
export const NON_RETRYABLE_PSA_ERRORS = [
  'PsaAuthError',
  'PsaPermissionError',
  'PsaNotFoundError',
  'PsaValidationError',
  'PsaConfigError',
] as const;

export function isPsaError(err: unknown): err is PsaError {
  return err instanceof PsaError;
}
