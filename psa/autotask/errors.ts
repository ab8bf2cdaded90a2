/**
 * Autotask answers with `{ "errors": [ "…" ] }`. Credential problems come as 401, or as 500 for
 * an unknown user (zone) or a bad integration code; many business rules are also 500s, so a 500
 * with messages is a validation error while a bare 5xx is an outage.
 */
import type { HttpRequest, HttpResponse } from '../core/http';
import { PsaAuthError, type PsaError, PsaNotFoundError, PsaPermissionError, PsaRateLimitedError, PsaUnavailableError, PsaValidationError } from '../core/errors';
import { parseRetryAfter } from '../core/http';

export function messagesOf(body: unknown): string[] {
  if (body && typeof body === 'object' && Array.isArray((body as { errors?: unknown }).errors)) {
    return (body as { errors: unknown[] }).errors.map((e) => (typeof e === 'string' ? e : JSON.stringify(e)));
  }
  return typeof body === 'string' && body.trim() ? [body.trim().slice(0, 300)] : [];
}

const DISABLED = /locked|inactive|deactivated|disabled/i;
const AUTH_500 = /IntegrationCode is invalid|Zone information could not be determined/i;

export function mapAutotaskError(res: HttpResponse, req: HttpRequest): PsaError {
  const messages = messagesOf(res.body);
  const what = `${req.method} ${new URL(req.url, 'http://x').pathname.split('/').slice(-2).join('/')}`;
  const text = messages.join(' ');
  if (res.status === 401) {
    return new PsaAuthError(`Autotask refused the API user: ${text || 'unauthorized'}`, { status: 401, accountDisabled: DISABLED.test(text) });
  }
  if (res.status === 403) return new PsaPermissionError(`The Autotask API user's security level does not allow ${what}`, { status: 403 });
  if (res.status === 404) return new PsaNotFoundError(`Autotask has no such record (${what})`, { status: 404 });
  if (res.status === 429) return new PsaRateLimitedError('Autotask request threshold or thread limit reached', { status: 429, retryAfterMs: parseRetryAfter(res.headers['retry-after']) });
  if (res.status === 500 && AUTH_500.test(text)) return new PsaAuthError(`Autotask refused the credentials: ${text}`, { status: 500 });
  if (res.status === 400 || (res.status === 500 && messages.length > 0)) {
    return new PsaValidationError(`Autotask refused ${what}: ${messages[0]}`, { status: res.status, details: messages });
  }
  if (res.status === 405) return new PsaValidationError(`Autotask does not allow ${what}`, { status: 405, details: messages });
  return new PsaUnavailableError(`Autotask answered ${res.status} to ${what}`, { status: res.status });
}
