/**
 * Errors the engine raises about the partner's request (not about a PSA). Each has a stable
 * `code` the portal can branch on and a sentence a partner understands. Activities throw them;
 * the class name travels through Temporal as the failure type, and the HTTP API maps them to
 * 400 / 403 / 404 / 409.
 */
export class RuleViolation extends Error {
  readonly httpStatus = 409;
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'RuleViolation';
  }
}

export class NotFound extends Error {
  readonly httpStatus = 404;
  readonly code = 'not_found';
  constructor(what: string) {
    super(`${what} was not found`);
    this.name = 'NotFound';
  }
}

export class AccessDenied extends Error {
  readonly httpStatus = 403;
  readonly code = 'access_denied';
  constructor(message = 'Your role cannot manage integrations') {
    super(message);
    this.name = 'AccessDenied';
  }
}

export interface FieldIssue {
  field: string;
  message: string;
}

export class InvalidInput extends Error {
  readonly httpStatus = 400;
  readonly code = 'invalid_input';
  constructor(readonly issues: FieldIssue[]) {
    super(`Invalid input: ${issues.map((i) => `${i.field}: ${i.message}`).join('; ')}`);
    this.name = 'InvalidInput';
  }
}

/** The connection is Unhealthy: no PSA call is made until the credentials test fine again. */
export class ConnectionUnhealthyError extends Error {
  readonly httpStatus = 409;
  readonly code = 'connection_unhealthy';
  constructor(readonly reason: string | null) {
    super(`The PSA connection is unhealthy${reason ? `: ${reason}` : ''}. Re-enter the credentials to restore it.`);
    this.name = 'ConnectionUnhealthyError';
  }
}
