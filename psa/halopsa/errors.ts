/**
 * HaloPSA answers errors in several shapes: OAuth `{error, error_description}` from the token
 * endpoint, ASP.NET model state (`{"[0].summary": "..."}`), .NET exception JSON
 * (`{ClassName, Message}`), `{errors:[...]}`, or a plain string. `mapHaloError` turns any of them
 * into a typed PsaError carrying the vendor's own messages, with known secrets redacted.
 */
import {
  PsaAuthError,
  type PsaError,
  PsaNotFoundError,
  PsaPermissionError,
  PsaRateLimitedError,
  PsaUnavailableError,
  PsaValidationError,
} from '../core/errors';
import { parseRetryAfter, type HttpRequest, type HttpResponse } from '../core/http';

const MAX_DETAIL = 500;
const ACCOUNT_DISABLED = /disabled|inactive|deactivated|locked|not active|unauthorized_client/i;

/** Every human-readable message in a Halo error body, in order. */
export function vendorMessages(body: unknown): string[] {
  if (body === null || body === undefined) return [];
  if (typeof body === 'string') {
    const text = body.trim().replace(/^"(.*)"$/s, '$1').trim();
    return text ? [text.slice(0, MAX_DETAIL)] : [];
  }
  if (typeof body === 'number' || typeof body === 'boolean') return [String(body)];
  if (Array.isArray(body)) return body.flatMap(vendorMessages);
  if (typeof body !== 'object') return [];
  const obj = body as Record<string, unknown>;
  const out: string[] = [];
  // OAuth: the description is the useful part, the code is the fallback.
  if (typeof obj.error_description === 'string') out.push(...vendorMessages(obj.error_description));
  else if (typeof obj.error === 'string') out.push(...vendorMessages(obj.error));
  for (const key of ['Message', 'message', 'title', 'detail']) {
    if (typeof obj[key] === 'string') out.push(...vendorMessages(obj[key]));
  }
  if (obj.errors !== undefined) out.push(...vendorMessages(obj.errors));
  if (out.length > 0) return dedupe(out);
  // Model state: every remaining key maps to a message or a list of messages.
  for (const [, value] of Object.entries(obj)) {
    if (typeof value === 'string' || Array.isArray(value)) out.push(...vendorMessages(value));
  }
  return dedupe(out);
}

function dedupe(list: string[]): string[] {
  return [...new Set(list)];
}

/** Replaces every occurrence of a secret with `***`. */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) if (s && s.length >= 4) out = out.split(s).join('***');
  return out;
}

function oauthCode(body: unknown): string | null {
  if (body && typeof body === 'object' && typeof (body as Record<string, unknown>).error === 'string') {
    return (body as Record<string, string>).error ?? null;
  }
  return null;
}

function pathOf(req: HttpRequest): string {
  const raw = /^https?:\/\//.test(req.url) ? new URL(req.url).pathname : `/${req.url.replace(/^\/+/, '')}`;
  return raw.split('?')[0] ?? raw;
}

export function isTokenRequest(req: HttpRequest): boolean {
  return /\/auth\/token$/i.test(pathOf(req));
}

/** Builds the `mapError` for PsaHttpClient; `secrets()` lists values that must never appear in messages. */
export function createHaloErrorMapper(secrets: () => readonly string[]) {
  return (res: HttpResponse, req: HttpRequest): PsaError => {
    const s = secrets();
    const details = vendorMessages(res.body).map((m) => redact(m, s));
    const first = details[0] ?? `HTTP ${res.status}`;
    const where = `${req.method} ${pathOf(req)}`;
    const status = res.status;

    if (isTokenRequest(req) && status >= 400 && status < 500 && status !== 429) {
      const disabled = ACCOUNT_DISABLED.test(`${oauthCode(res.body) ?? ''} ${details.join(' ')}`);
      const msg = disabled
        ? `HaloPSA refused a token: the API application or its agent is disabled (${first})`
        : `HaloPSA rejected the client ID or client secret (${first})`;
      return new PsaAuthError(msg, { status, accountDisabled: disabled });
    }
    if (status === 401) {
      const disabled = ACCOUNT_DISABLED.test(details.join(' '));
      return new PsaAuthError(`HaloPSA refused the access token for ${where}`, { status, accountDisabled: disabled });
    }
    if (status === 403) {
      return new PsaPermissionError(`HaloPSA denied ${where}: the API agent's role lacks a permission (${first})`, { status });
    }
    if (status === 404) return new PsaNotFoundError(`HaloPSA has no such record (${where}): ${first}`, { status });
    if (status === 429) {
      return new PsaRateLimitedError(`HaloPSA rate limit reached (${where}): ${first}`, {
        status,
        retryAfterMs: parseRetryAfter(res.headers['retry-after']),
      });
    }
    if (status >= 500 || status === 0) return new PsaUnavailableError(`HaloPSA failed ${where} with HTTP ${status}: ${first}`, { status });
    return new PsaValidationError(`HaloPSA refused ${where}: ${first}`, { status, details });
  };
}
