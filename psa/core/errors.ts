/**
 * Typed failures of a PSA call. Adapters throw only these; activities turn them into
 * Temporal failures whose `type` is the class name, so workflows and retry policies can
 * branch on them. Each class is one code of the error catalogue (`psa_<kind>`, with its HTTP
 * status, retryability and remediation: domain/error-catalogue.ts). Messages never carry credentials.
 */
import { ERRORS, type ErrorCode } from '../../domain/error-catalogue';

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
  readonly status: number | undefined;

  /** This error's code in the catalogue. */
  get code(): ErrorCode {
    return `psa_${this.kind}`;
  }

  /** Whether trying the same call again later can succeed. */
  get retryable(): boolean {
    return ERRORS[this.code].retryable;
  }

  constructor(message: string, options: { status?: number; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.status = options.status;
  }
}

/** Credentials rejected, or the API user is locked / inactive. The connection becomes Unhealthy. */
export class PsaAuthError extends PsaError {
  readonly kind = 'auth' as const;
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
}

/** The record does not exist (or was deleted in the PSA). */
export class PsaNotFoundError extends PsaError {
  readonly kind = 'not_found' as const;
}

/** The vendor refused the payload; `details` holds the vendor's own messages. */
export class PsaValidationError extends PsaError {
  readonly kind = 'validation' as const;
  readonly details: readonly string[];
  constructor(message: string, options: { status?: number; details?: readonly string[]; cause?: unknown } = {}) {
    super(message, options);
    this.details = options.details ?? [];
  }
}

/** The vendor (or our governor) throttled the call; retry after `retryAfterMs`. */
export class PsaRateLimitedError extends PsaError {
  readonly kind = 'rate_limited' as const;
  readonly retryAfterMs: number;
  constructor(message: string, options: { status?: number; retryAfterMs: number; cause?: unknown }) {
    super(message, options);
    this.retryAfterMs = options.retryAfterMs;
  }
}

/** 5xx, timeouts, dropped connections: the outcome of a write is unknown, so writes must be idempotent. */
export class PsaUnavailableError extends PsaError {
  readonly kind = 'unavailable' as const;
}

/** Our side is misconfigured: a site URL that fails validation, an unsupported option. */
export class PsaConfigError extends PsaError {
  readonly kind = 'config' as const;
}

export function isPsaError(err: unknown): err is PsaError {
  return err instanceof PsaError;
}

const REBUILT = new Map<string, (message: string) => PsaError>([
  ...[PsaAuthError, PsaPermissionError, PsaNotFoundError, PsaValidationError, PsaConfigError, PsaUnavailableError].map((C) => [C.name, (m: string) => new C(m)] as const),
  // The delay was Temporal's to wait; a caller on the other side retries after a second.
  [PsaRateLimitedError.name, (m: string) => new PsaRateLimitedError(m, { retryAfterMs: 1000 })],
]);

/** A PSA error rebuilt from the failure type (its class name) and message it crossed Temporal as; null for other types. */
export function psaErrorFromFailure(type: string, message: string): PsaError | null {
  return REBUILT.get(type)?.(message) ?? null;
}
