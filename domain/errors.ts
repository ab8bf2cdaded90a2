/**
 * Errors the engine raises about the partner's request (not about a PSA). Each carries a stable
 * `code` from the error catalogue (domain/error-catalogue.ts), which also gives its HTTP status,
 * and a sentence a partner understands. Activities throw them; the class name travels through
 * Temporal as the failure type, with what rebuilds the error on the other side
 * (`failureDetail`, `DOMAIN_ERRORS`). Pure: workflow code imports this module.
 */
import type { z } from 'zod';
import { ERRORS, codeOfType, isErrorCode, isRuleCode, type ErrorCode, type RuleCode } from './error-catalogue';

/** Failure `details[0]` of our domain errors: what rebuilds them after Temporal. */
export interface DomainFailureDetail {
  code: string;
  issues?: FieldIssue[];
  reason?: string | null;
}

export abstract class DomainError extends Error {
  abstract readonly code: ErrorCode;

  get httpStatus(): number {
    return ERRORS[this.code].status;
  }

  /** What crosses Temporal beside the message. */
  failureDetail(): DomainFailureDetail {
    return { code: this.code };
  }
}

export class RuleViolation extends DomainError {
  constructor(
    readonly code: RuleCode,
    message: string,
  ) {
    super(message);
    this.name = 'RuleViolation';
  }
}

export class NotFound extends DomainError {
  readonly code = 'not_found';
  constructor(what: string) {
    super(`${what} was not found`);
    this.name = 'NotFound';
  }
}

export class AccessDenied extends DomainError {
  readonly code = 'access_denied';
  constructor(message: string = ERRORS.access_denied.message) {
    super(message);
    this.name = 'AccessDenied';
  }
}

export interface FieldIssue {
  field: string;
  message: string;
}

export class InvalidInput extends DomainError {
  readonly code = 'invalid_input';
  constructor(readonly issues: FieldIssue[]) {
    super(`Invalid input: ${issues.map((i) => `${i.field}: ${i.message}`).join('; ')}`);
    this.name = 'InvalidInput';
  }

  override failureDetail(): DomainFailureDetail {
    return { code: this.code, issues: this.issues };
  }
}

/** The connection is Unhealthy: no PSA call is made until the credentials test fine again. */
export class ConnectionUnhealthyError extends DomainError {
  readonly code = 'connection_unhealthy';
  constructor(readonly reason: string | null) {
    super(`The PSA connection is unhealthy${reason ? `: ${reason}` : ''}. Re-enter the credentials to restore it.`);
    this.name = 'ConnectionUnhealthyError';
  }

  override failureDetail(): DomainFailureDetail {
    return { code: this.code, reason: this.reason };
  }
}

/** Each domain error class by its name (its Temporal failure type), and how it is rebuilt from a failure. */
export const DOMAIN_ERRORS = {
  RuleViolation: (message: string, d: Partial<DomainFailureDetail>) => new RuleViolation(isRuleCode(d.code) ? d.code : 'rule_violation', message),
  NotFound: (message: string) => Object.assign(new NotFound('Resource'), { message }),
  AccessDenied: (message: string) => new AccessDenied(message),
  InvalidInput: (_message: string, d: Partial<DomainFailureDetail>) => new InvalidInput(d.issues ?? []),
  ConnectionUnhealthyError: (_message: string, d: Partial<DomainFailureDetail>) => new ConnectionUnhealthyError(d.reason ?? null),
} satisfies Record<string, (message: string, detail: Partial<DomainFailureDetail>) => DomainError>;

export type DomainFailureType = keyof typeof DOMAIN_ERRORS;

export const DOMAIN_FAILURE_TYPES = Object.keys(DOMAIN_ERRORS) as DomainFailureType[];

export function isDomainFailureType(type: string): type is DomainFailureType {
  return Object.prototype.hasOwnProperty.call(DOMAIN_ERRORS, type);
}

/** zod's issues as ours, keyed by dotted path under `prefix` (`(body)` for the body itself). */
export function issuesOf(error: z.ZodError, prefix = ''): FieldIssue[] {
  return error.issues.map((i) => ({ field: [prefix, ...i.path.map(String)].filter(Boolean).join('.') || '(body)', message: i.message }));
}

/** Parses with a zod schema or throws InvalidInput whose fields are keyed under `prefix`. */
export function parseOrThrow<T extends z.ZodType>(schema: T, value: unknown, prefix = ''): z.infer<T> {
  const r = schema.safeParse(value);
  if (!r.success) throw new InvalidInput(issuesOf(r.error, prefix));
  return r.data;
}

/** What the HTTP layer answers for an error, from the catalogue. */
export interface ErrorAnswer {
  status: number;
  code: ErrorCode;
  message: string;
  remediation: string;
  issues?: FieldIssue[];
}

/**
 * Any error → its catalogue answer. Our errors are known by their class name (the failure type)
 * and, where one class stands for several codes, by their `code`; anything else is `internal`
 * and reveals nothing.
 */
export function describeError(err: unknown): ErrorAnswer {
  const code = codeOf(err);
  const entry: (typeof ERRORS)[ErrorCode] = ERRORS[code];
  const own = err instanceof Error && err.message && !('fixedMessage' in entry) ? err.message : null;
  return {
    status: entry.status,
    code,
    message: own ?? entry.message,
    remediation: entry.remediation,
    ...(err instanceof InvalidInput ? { issues: err.issues } : {}),
  };
}

function codeOf(err: unknown): ErrorCode {
  if (!(err instanceof Error)) return 'internal';
  const own = (err as { code?: unknown }).code;
  if (isErrorCode(own) && ERRORS[own].type === err.name) return own;
  // A request the HTTP layer refused for what it is: its code is the answer, whatever class that code names elsewhere.
  if (err.name === 'RequestRefused' && isErrorCode(own) && ERRORS[own].area === 'request') return own;
  return codeOfType(err.name) ?? 'internal';
}
