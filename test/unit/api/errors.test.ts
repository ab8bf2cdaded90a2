/** One mapping from errors to answers: each stable code has one status, and nothing unknown leaks. */
import { ERRORS } from '../../../domain/error-catalogue';
import { httpErrorOf, RequestRefused, Unauthenticated } from '../../../api/errors';
import { AccessDenied, ConnectionUnhealthyError, InvalidInput, NotFound, RuleViolation } from '../../../domain/errors';
import { PsaAuthError, PsaConfigError, PsaUnavailableError } from '../../../psa/core/errors';
import { UrlNotAllowedError } from '../../../psa/core/url-guard';
import { TlsFailedError } from '../../../psa/core/http';

const answer = (err: unknown) => {
  const { status, body } = httpErrorOf(err);
  return [status, body.error.code];
};

test('typed errors map to their status and code', () => {
  expect(answer(new InvalidInput([{ field: 'a', message: 'b' }]))).toEqual([400, 'invalid_input']);
  expect(answer(new Unauthenticated())).toEqual([401, 'unauthenticated']);
  expect(answer(new AccessDenied())).toEqual([403, 'access_denied']);
  expect(answer(new NotFound('x'))).toEqual([404, 'not_found']);
  expect(answer(new RuleViolation('already_connected', 'x'))).toEqual([409, 'already_connected']);
  expect(answer(new ConnectionUnhealthyError(null))).toEqual([409, 'connection_unhealthy']);
  expect(answer(new UrlNotAllowedError('x'))).toEqual([422, 'url_not_allowed']);
  expect(answer(new TlsFailedError('h', 'r'))).toEqual([422, 'tls_failed']);
  expect(answer(new PsaConfigError('x'))).toEqual([422, 'psa_config']);
  expect(answer(new PsaAuthError('x'))).toEqual([422, 'psa_auth']);
  expect(answer(new PsaUnavailableError('x'))).toEqual([502, 'psa_unavailable']);
});

test('refused requests, framework and parser errors are 4xx (503 for an unavailable service)', () => {
  for (const [code, status] of [
    ['invalid_url', 400],
    ['invalid_json', 400],
    ['json_too_deep', 400],
    ['not_found', 404],
    ['method_not_allowed', 405],
    ['body_too_large', 413],
    ['unsupported_media_type', 415],
    ['header_too_large', 431],
    ['unavailable', 503],
  ] as const) {
    expect(answer(new RequestRefused(code, 'x'))).toEqual([status, code]);
  }
  const framework = (code: string, statusCode = 400) => Object.assign(new Error('x'), { code, statusCode });
  expect(answer(framework('FST_ERR_BAD_URL'))).toEqual([400, 'invalid_url']);
  expect(answer(framework('FST_ERR_CTP_BODY_TOO_LARGE', 413))).toEqual([413, 'body_too_large']);
  expect(answer(framework('FST_ERR_CTP_INVALID_MEDIA_TYPE', 415))).toEqual([415, 'unsupported_media_type']);
  expect(answer(framework('FST_ERR_SOMETHING_NEW', 400))).toEqual([400, 'bad_request']);
  expect(answer({ code: 'HPE_INVALID_METHOD' })).toEqual([400, 'bad_request']);
  expect(answer({ code: 'HPE_HEADER_OVERFLOW' })).toEqual([431, 'header_too_large']);
});

test('anything else is a 500 that says nothing', () => {
  for (const err of [new TypeError('secret'), 'boom', null, { code: 42 }, Object.assign(new Error('x'), { statusCode: 503, code: 'ECONNREFUSED' })]) {
    expect(httpErrorOf(err)).toEqual({ status: 500, body: { error: { code: 'internal', message: 'Internal error', remediation: ERRORS.internal.remediation } } });
  }
});
