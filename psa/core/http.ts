/**
 * The HTTP layer every adapter uses: JSON over node:http(s) with a per-call timeout, the
 * connection's rate governor, Retry-After handling, bounded retries of calls that are safe to
 * repeat, and vendor-specific error mapping. Nothing here logs headers or bodies, so
 * credentials cannot leak through it.
 */
import http from 'node:http';
import https from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import tls from 'node:tls';
import type { IncomingHttpHeaders } from 'node:http';
import { PsaError, PsaRateLimitedError, PsaUnavailableError } from './errors';
import { GovernorWaitAborted, pause as sleep, type RateGovernor } from './governor';
import { budgetTerms, callSignal, PsaCallAbandoned } from './call-context';
import { observePsa } from './observer';

/**
 * The PSA's TLS did not verify: an untrusted, expired or mismatched certificate, or no TLS at
 * all. Repeating the call at once cannot help, so it is not retried inside the call; for running
 * syncs it stays an outage (travelling through Temporal as a PsaUnavailableError) that a fixed
 * certificate ends, while a connect checks TLS first and refuses at once (`tls_failed`).
 */
export class TlsFailedError extends PsaUnavailableError {
  override get code(): 'tls_failed' {
    return 'tls_failed';
  }
  constructor(host: string, reason: string, options: { cause?: unknown } = {}) {
    super(`TLS with ${host} failed: ${reason}`, options);
    this.name = 'PsaUnavailableError';
  }
}

/** Node's error codes of certificate checks and TLS handshakes. */
const TLS_CODES = new Set([
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_DECRYPT_CERT_SIGNATURE',
  'CERT_SIGNATURE_FAILURE',
  'CERT_NOT_YET_VALID',
  'CERT_HAS_EXPIRED',
  'CERT_REVOKED',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'INVALID_CA',
  'HOSTNAME_MISMATCH',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** What the commonest failures mean, for a partner reading the error. */
const TLS_REASONS: Record<string, string> = {
  DEPTH_ZERO_SELF_SIGNED_CERT: 'the certificate is self-signed',
  SELF_SIGNED_CERT_IN_CHAIN: 'the certificate chain ends in a self-signed certificate that is not trusted',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'the certificate is not signed by a trusted authority',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'the certificate is not signed by a trusted authority',
  CERT_HAS_EXPIRED: 'the certificate has expired',
  CERT_NOT_YET_VALID: 'the certificate is not valid yet',
  ERR_TLS_CERT_ALTNAME_INVALID: 'the certificate is for another host name',
  ERR_SSL_WRONG_VERSION_NUMBER: 'the server does not speak TLS on this port',
};

/** The TLS failure behind a request error, or null when the error is something else (refused, reset, timeout). */
export function tlsFailureOf(err: unknown, host: string): TlsFailedError | null {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return null;
  if (!TLS_CODES.has(code) && !code.startsWith('ERR_SSL_') && !code.startsWith('ERR_TLS_')) return null;
  const reason = TLS_REASONS[code] ?? (err instanceof Error && err.message !== code ? err.message : 'the TLS handshake failed');
  return new TlsFailedError(host, `${reason} (${code})`, { cause: err });
}

/**
 * Opens a TLS session with an https origin and closes it, sending nothing: throws
 * TlsFailedError when the certificate does not verify with the trust the PSA client uses
 * (`ca` replaces the default roots, as in PsaHttpClient). Other failures (refused, timed out)
 * are left to the caller's first real request.
 */
export function probeTls(url: URL, options: { ca?: string; timeoutMs?: number; lookup?: LookupFunction } = {}): Promise<void> {
  if (url.protocol !== 'https:') return Promise.resolve();
  const host = url.hostname.replace(/^\[|\]$/g, '');
  return new Promise<void>((resolve, reject) => {
    const socket = tls.connect({
      host,
      port: Number(url.port || 443),
      ...(isIP(host) ? {} : { servername: host }),
      ...(options.ca ? { ca: options.ca } : {}),
      ...(options.lookup ? { lookup: options.lookup } : {}),
      timeout: options.timeoutMs ?? 5000,
    });
    socket.once('secureConnect', () => {
      socket.destroy();
      resolve();
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve();
    });
    socket.once('error', (err) => {
      socket.destroy();
      const failure = tlsFailureOf(err, host);
      if (failure) reject(failure);
      else if (err instanceof PsaError) reject(err);
      else resolve();
    });
  });
}

export interface HttpRequest {
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  /** Absolute URL, or a path appended to the client's base URL. */
  url: string;
  query?: Record<string, string | number | boolean | undefined>;
  headers?: Record<string, string>;
  /** JSON body. */
  json?: unknown;
  /** application/x-www-form-urlencoded body. */
  form?: Record<string, string>;
  /** Governor key for per-endpoint concurrency (defaults to the first path segment after the base). */
  endpoint?: string;
  /** Safe to send again after a 5xx / timeout / dropped connection (reads, absolute sets). */
  idempotent?: boolean;
  /** Skip the shared auth headers (token and zone endpoints). */
  anonymous?: boolean;
}

export interface HttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  /** Parsed JSON when the body is JSON, else the text. */
  body: unknown;
}

export interface HttpCallRecord {
  method: string;
  path: string;
  status: number | 'error';
  ms: number;
}

export interface PsaHttpOptions {
  baseUrl: string;
  governor: RateGovernor;
  /** Maps a non-2xx answer to a typed error (vendor error bodies differ). */
  mapError: (res: HttpResponse, req: HttpRequest) => PsaError;
  /** Auth headers, computed per request (OAuth tokens refresh). */
  authHeaders?: () => Promise<Record<string, string>> | Record<string, string>;
  /** Called when a request came back 401 with auth; return true to retry once (token refresh). */
  onUnauthorized?: () => Promise<boolean>;
  timeoutMs?: number;
  /** Extra CA certificates (PEM) to trust, e.g. a simulator's test CA. */
  ca?: string;
  /** Retries of idempotent calls on 5xx / network errors. */
  maxRetries?: number;
  /** Longest Retry-After we wait out inside one call before surfacing PsaRateLimitedError. */
  maxInlineWaitMs?: number;
  onCall?: (record: HttpCallRecord) => void;
}


/** Retry-After as seconds or an HTTP date; defaults to 1 s when absent or unreadable. */
export function parseRetryAfter(value: string | string[] | undefined, now = Date.now()): number {
  const v = Array.isArray(value) ? value[0] : value;
  if (!v) return 1000;
  const secs = Number(v);
  if (Number.isFinite(secs)) return Math.max(0, secs * 1000);
  const at = Date.parse(v);
  return Number.isNaN(at) ? 1000 : Math.max(0, at - now);
}

export class PsaHttpClient {
  readonly baseUrl: string;
  readonly governor: RateGovernor;
  private readonly agent: http.Agent | https.Agent;
  private readonly opts: PsaHttpOptions;

  constructor(opts: PsaHttpOptions) {
    this.opts = opts;
    this.baseUrl = opts.baseUrl.replace(/\/+$/, '');
    this.governor = opts.governor;
    this.agent = this.baseUrl.startsWith('https:')
      ? new https.Agent({ keepAlive: true, maxSockets: 16, ...(opts.ca ? { ca: opts.ca } : {}) })
      : new http.Agent({ keepAlive: true, maxSockets: 16 });
  }

  close(): void {
    this.agent.destroy();
  }

  resolve(req: HttpRequest): URL {
    const url = new URL(/^https?:\/\//.test(req.url) ? req.url : `${this.baseUrl}/${req.url.replace(/^\/+/, '')}`);
    for (const [k, v] of Object.entries(req.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    return url;
  }

  async request(req: HttpRequest): Promise<HttpResponse> {
    const maxRetries = this.opts.maxRetries ?? 3;
    const maxInlineWait = this.opts.maxInlineWaitMs ?? 60_000;
    let attempt = 0;
    let waitedForRateLimit = 0;
    let refreshedAuth = false;
    const signal = callSignal();
    const terms = budgetTerms();
    for (;;) {
      const url = this.resolve(req);
      if (signal?.aborted) throw new PsaCallAbandoned(`${req.method} ${url.pathname}`);
      const endpoint = req.endpoint ?? (url.pathname.slice(new URL(this.baseUrl).pathname.length).split('/')[1] || '/');
      let release: () => void;
      try {
        release = await this.governor.acquire(endpoint.toLowerCase(), signal, terms);
      } catch (err) {
        if (err instanceof GovernorWaitAborted) throw new PsaCallAbandoned(`${req.method} ${url.pathname}`);
        throw err;
      }
      const started = Date.now();
      let res: HttpResponse;
      try {
        res = await this.send(url, req, signal);
      } catch (err) {
        release();
        // A typed failure from our own side (e.g. a refused OAuth token in authHeaders) is not an outage.
        if (err instanceof PsaError) throw err;
        if (signal?.aborted) throw new PsaCallAbandoned(`${req.method} ${url.pathname}`);
        this.opts.onCall?.({ method: req.method, path: url.pathname, status: 'error', ms: Date.now() - started });
        observePsa((o, op) => o.call({ ...op, status: 'error', ms: Date.now() - started }));
        // A certificate that did not verify will not verify a second later.
        const tlsFailure = tlsFailureOf(err, url.hostname);
        if (tlsFailure) throw tlsFailure;
        if (req.idempotent && attempt < maxRetries) {
          attempt += 1;
          await sleep(Math.min(200 * 2 ** attempt, 2000), signal);
          continue;
        }
        const reason = err instanceof Error ? err.message : String(err);
        throw new PsaUnavailableError(`${req.method} ${url.pathname} failed: ${reason}`);
      }
      release();
      this.opts.onCall?.({ method: req.method, path: url.pathname, status: res.status, ms: Date.now() - started });
      observePsa((o, op) => o.call({ ...op, status: res.status, ms: Date.now() - started }));
      if (res.status >= 200 && res.status < 300) return res;
      if (res.status === 429) {
        // A 429 was not processed, so even a create may be sent again.
        const wait = parseRetryAfter(res.headers['retry-after']);
        observePsa((o, op) => o.rateLimited(op, wait));
        this.governor.pauseFor(wait);
        if (waitedForRateLimit + wait <= maxInlineWait) {
          waitedForRateLimit += wait;
          continue;
        }
        throw new PsaRateLimitedError(`${req.method} ${url.pathname} was rate limited by the PSA`, {
          status: 429,
          retryAfterMs: wait,
        });
      }
      if (res.status === 401 && !req.anonymous && !refreshedAuth && this.opts.onUnauthorized) {
        refreshedAuth = true;
        if (await this.opts.onUnauthorized()) continue;
      }
      if (res.status >= 500 && req.idempotent && attempt < maxRetries) {
        const mapped = this.opts.mapError(res, req);
        if (mapped.retryable) {
          attempt += 1;
          await sleep(Math.min(200 * 2 ** attempt, 2000), signal);
          continue;
        }
      }
      throw this.opts.mapError(res, req);
    }
  }

  private async send(url: URL, req: HttpRequest, signal?: AbortSignal): Promise<HttpResponse> {
    const headers: Record<string, string> = { accept: 'application/json', ...(req.headers ?? {}) };
    if (!req.anonymous && this.opts.authHeaders) Object.assign(headers, await this.opts.authHeaders());
    let payload: string | undefined;
    if (req.json !== undefined) {
      payload = JSON.stringify(req.json);
      headers['content-type'] ??= 'application/json';
    } else if (req.form) {
      payload = new URLSearchParams(req.form).toString();
      headers['content-type'] = 'application/x-www-form-urlencoded';
    }
    if (payload !== undefined) headers['content-length'] = String(Buffer.byteLength(payload));
    const lib = url.protocol === 'https:' ? https : http;
    const timeoutMs = this.opts.timeoutMs ?? 30_000;
    return new Promise<HttpResponse>((resolve, reject) => {
      const r = lib.request(url, { method: req.method, headers, agent: this.agent, timeout: timeoutMs, ...(signal ? { signal } : {}) }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: unknown = text;
          if (text.length > 0 && /json/i.test(String(res.headers['content-type'] ?? ''))) {
            try {
              body = JSON.parse(text);
            } catch {
              body = text;
            }
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body });
        });
      });
      r.on('timeout', () => r.destroy(new Error(`timed out after ${timeoutMs} ms`)));
      r.on('error', reject);
      if (payload !== undefined) r.write(payload);
      r.end();
    });
  }
}
