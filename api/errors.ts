/**
 * Every error → HTTP answer of the API, in one function (`httpErrorOf`). Handlers throw our
 * typed errors (domain, PSA, request); the server, the framework's own failures (bad URLs,
 * bodies, media types) and socket-level parse errors all come through here. Status, message and
 * remediation come from the error catalogue (domain/error-catalogue.ts), so each stable
 * `error.code` has one status everywhere. Anything unknown is a 500 that reveals nothing.
 */
import { describeError, type FieldIssue } from '../domain/errors';
import { ERRORS, type ErrorCode } from '../domain/error-catalogue';

export interface ErrorBody {
  error: { code: string; message: string; remediation: string; issues?: FieldIssue[] };
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

/** Codes of requests refused before any route ran: the request itself is malformed or unusable, or the service cannot answer now. */
export type RequestErrorCode = Extract<ErrorCode, 'bad_request' | 'invalid_url' | 'invalid_json' | 'json_too_deep' | 'not_found' | 'method_not_allowed' | 'request_timeout' | 'body_too_large' | 'uri_too_long' | 'unsupported_media_type' | 'header_too_large' | 'unavailable'>;

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

const answer = (status: number, code: string, message: string, remediation: string, issues?: FieldIssue[]): HttpError => ({
  status,
  body: { error: { code, message, remediation, ...(issues ? { issues } : {}) } },
});

const refused = (code: RequestErrorCode): HttpError => answer(ERRORS[code].status, code, ERRORS[code].message, ERRORS[code].remediation);

/** Our typed errors → status + body from the catalogue; anything else is a 500 that reveals nothing. */
export function httpErrorOf(err: unknown): HttpError {
  const known = describeError(err);
  if (known.code !== 'internal') return answer(known.status, known.code, known.message, known.remediation, known.issues);
  // Read as plain properties: errors made by Node's own modules may come from another realm.
  const code = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
  if (typeof code === 'string') {
    const ours = FRAMEWORK_CODES[code] ?? PARSER_CODES[code];
    if (ours) return refused(ours);
    // Any other refusal by the framework or Node's parser is about the request, never a 5xx.
    const status = (err as { statusCode?: unknown }).statusCode;
    if (code.startsWith('HPE_') || (typeof status === 'number' && status >= 400 && status < 500)) return refused('bad_request');
  }
  return answer(known.status, known.code, known.message, known.remediation);
}
