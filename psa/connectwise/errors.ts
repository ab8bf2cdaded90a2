/**
 * ConnectWise answers → typed PsaErrors. Bodies are `{code, message, errors:[{code,message,field}]}`,
 * except 429 (`{error:"ConnectWiseAPI", message}`) and the occasional plain-text proxy page.
 * Messages carry the method, path and the vendor's own words, never headers or credentials.
 */
import type { HttpRequest, HttpResponse } from '../core/http';
import { parseRetryAfter } from '../core/http';
import {
  PsaAuthError,
  PsaConfigError,
  PsaNotFoundError,
  PsaPermissionError,
  PsaRateLimitedError,
  PsaUnavailableError,
  PsaValidationError,
} from '../core/errors';
import type { PsaError } from '../core/errors';

interface CwErrorBody {
  code?: string;
  message?: string;
  details: string[];
}

function readBody(body: unknown): CwErrorBody {
  if (typeof body === 'string') return { message: body.slice(0, 300), details: [] };
  if (!body || typeof body !== 'object') return { details: [] };
  const b = body as Record<string, unknown>;
  const code = typeof b.code === 'string' ? b.code : typeof b.error === 'string' ? b.error : undefined;
  const message = typeof b.message === 'string' ? b.message : undefined;
  const details = Array.isArray(b.errors)
    ? b.errors.flatMap((e) => {
        if (!e || typeof e !== 'object') return [];
        const x = e as Record<string, unknown>;
        const text = typeof x.message === 'string' ? x.message : typeof x.code === 'string' ? x.code : '';
        return text ? [typeof x.field === 'string' && x.field ? `${x.field}: ${text}` : text] : [];
      })
    : [];
  return { code, message, details };
}

/** A locked or deactivated API member is an account problem, not a wrong key. */
const DISABLED = /inactive|locked|disabled|deactivated/i;

export function mapConnectWiseError(res: HttpResponse, req: HttpRequest): PsaError {
  const path = (() => {
    try {
      return new URL(req.url, 'https://x').pathname;
    } catch {
      return req.url;
    }
  })();
  const where = `ConnectWise ${req.method} ${path}`;
  const { code, message, details } = readBody(res.body);
  const said = message ? `: ${message}` : '';
  const status = res.status;

  if (code === 'Security' || /SSL is required/i.test(message ?? '')) {
    return new PsaConfigError(`${where} was refused${said} Use the https api- host of your region (e.g. api-na.myconnectwise.net).`, { status });
  }
  switch (status) {
    case 400:
    case 405:
    case 409:
    case 415:
    case 422:
      return new PsaValidationError(`${where} was rejected (${status})${said}`, { status, details: details.length ? details : message ? [message] : [] });
    case 401:
      if (/clientid/i.test(message ?? '')) {
        return new PsaConfigError(`${where}: ConnectWise did not accept the integration's clientId${said}`, { status });
      }
      return new PsaAuthError(`${where}: ConnectWise rejected the API member's credentials${said}`, {
        status,
        accountDisabled: DISABLED.test(message ?? ''),
      });
    case 403:
      return new PsaPermissionError(`${where}: the API member's security role lacks a right${said}`, { status });
    case 404:
      return new PsaNotFoundError(`${where}: not found${said}`, { status });
    case 429:
      return new PsaRateLimitedError(`${where} was rate limited${said}`, { status, retryAfterMs: parseRetryAfter(res.headers['retry-after']) });
    default:
      if (status >= 500 || status === 408) return new PsaUnavailableError(`${where} failed with ${status}${said}`, { status });
      return new PsaValidationError(`${where} was rejected (${status})${said}`, { status, details: details.length ? details : message ? [message] : [] });
  }
}
