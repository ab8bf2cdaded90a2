/**
 * Every error → HTTP answer of the API, in one function (`httpErrorOf`). Handlers throw our
 * typed errors (domain, PSA, request); the server, the framework's own failures (bad URLs,
 * bodies, media types) and socket-level parse errors all come through here, so each stable
 * `error.code` has one status. Anything unknown is a 500 that reveals nothing.
 */
import { AccessDenied, ConnectionUnhealthyError, InvalidInput, NotFound, RuleViolation, type FieldIssue } from '../domain/errors';
import { isPsaError } from '../psa/core/errors';
import { UrlNotAllowedError } from '../psa/core/url-guard';
import { TlsFailedError } from '../psa/core/http';

export interface ErrorBody {
  error: { code: string; message: string; issues?: FieldIssue[] };
}

export interface HttpError {
  status: number;
  body: ErrorBody;
}

/** The caller did not prove who it is (platform token, user, codec token, webhook signature). */
export class Unauthenticated extends Error {
  readonly code = 'unauthenticated';
  constructor(message = 'A valid platform token is required') {
    super(message);
    this.name = 'Unauthenticated';
  }
}

/** Codes of requests refused before any route ran: the request itself is malformed or unusable. */
const REQUEST_STATUS = {
  bad_request: 400,
  invalid_url: 400,
  invalid_json: 400,
  json_too_deep: 400,
  not_found: 404,
  method_not_allowed: 405,
  request_timeout: 408,
  body_too_large: 413,
  uri_too_long: 414,
  unsupported_media_type: 415,
  header_too_large: 431,
  unavailable: 503,
} as const;

export type RequestErrorCode = keyof typeof REQUEST_STATUS;

/** A request refused for what it is (its URL, headers or body), or a service that cannot answer now. */
export class RequestRefused extends Error {
  constructor(
    readonly code: RequestErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'RequestRefused';
  }
}

/** Fastify's own error codes → ours. */
const FRAMEWORK_CODES: Record<string, RequestErrorCode> = {
  FST_ERR_BAD_URL: 'invalid_url',
  FST_ERR_MAX_PARAM_LENGTH: 'uri_too_long',
  FST_ERR_CTP_BODY_TOO_LARGE: 'body_too_large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_INVALID_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'invalid_json',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'bad_request',
  FST_ERR_CTP_INVALID_JSON_BODY: 'invalid_json',
};

/** Node's HTTP parser errors (a socket-level `clientError`) → ours. */
const PARSER_CODES: Record<string, RequestErrorCode> = {
  HPE_HEADER_OVERFLOW: 'header_too_large',
  ERR_HTTP_REQUEST_TIMEOUT: 'request_timeout',
};

const MESSAGES: Record<RequestErrorCode, string> = {
  bad_request: 'The request is malformed',
  invalid_url: 'The request URL is malformed (an invalid percent-escape or request-target)',
  invalid_json: 'The body is not valid JSON',
  json_too_deep: 'The body is nested too deeply',
  not_found: 'No such route',
  method_not_allowed: 'This method is not allowed here',
  request_timeout: 'The request took too long to arrive',
  body_too_large: 'The body is too large',
  uri_too_long: 'A path parameter is too long',
  unsupported_media_type: 'The body must be JSON (application/json; charset=utf-8)',
  header_too_large: 'The request headers are too large',
  unavailable: 'The service is unavailable',
};

const refused = (code: RequestErrorCode, message: string = MESSAGES[code]): HttpError => ({ status: REQUEST_STATUS[code], body: { error: { code, message } } });

/** Our typed errors → status + body; anything else is a 500 that reveals nothing. */
export function httpErrorOf(err: unknown): HttpError {
  if (err instanceof InvalidInput) return { status: 400, body: { error: { code: err.code, message: 'The request is invalid', issues: err.issues } } };
  if (err instanceof Unauthenticated) return { status: 401, body: { error: { code: err.code, message: err.message } } };
  if (err instanceof RequestRefused) return refused(err.code, err.message);
  if (err instanceof NotFound || err instanceof AccessDenied || err instanceof ConnectionUnhealthyError) {
    return { status: err.httpStatus, body: { error: { code: err.code, message: err.message } } };
  }
  if (err instanceof RuleViolation) return { status: 409, body: { error: { code: err.code, message: err.message } } };
  // The site named in the request cannot be used: our URL policy refuses it, or its TLS does not verify.
  if (err instanceof UrlNotAllowedError || err instanceof TlsFailedError) return { status: 422, body: { error: { code: err.code, message: err.message } } };
  if (isPsaError(err)) {
    const status = err.kind === 'auth' || err.kind === 'permission' || err.kind === 'validation' || err.kind === 'config' ? 422 : 502;
    return { status, body: { error: { code: `psa_${err.kind}`, message: err.message } } };
  }
  // Read as plain properties: errors made by Node's own modules may come from another realm.
  const code = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
  if (typeof code === 'string') {
    const ours = FRAMEWORK_CODES[code] ?? PARSER_CODES[code];
    if (ours) return refused(ours);
    // Any other refusal by the framework or Node's parser is about the request, never a 5xx.
    const status = (err as { statusCode?: unknown }).statusCode;
    if (code.startsWith('HPE_') || (typeof status === 'number' && status >= 400 && status < 500)) return refused('bad_request');
  }
  return { status: 500, body: { error: { code: 'internal', message: 'Internal error' } } };
}
