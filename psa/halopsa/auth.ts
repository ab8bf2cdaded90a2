/**
 * OAuth2 client-credentials tokens for HaloPSA: `POST {site}/auth/token` (form-encoded,
 * `?tenant=` for hosted tenants). Tokens are cached per (site, client, secret, tenant) inside the
 * process until shortly before `expires_in`, so short-lived adapters (one per activity) reuse them.
 */
import { createHash } from 'node:crypto';
import { PsaUnavailableError } from '../core/errors';
import type { PsaHttpClient } from '../core/http';
import { withoutBudgetTerms } from '../core/call-context';
import type { HaloPsaCredentials } from './credentials';
import { tokenResponseSchema } from './schemas';

interface CachedToken {
  token: string;
  expiresAt: number;
}

const DEFAULT_TTL_SEC = 3600;
const tokenCache = new Map<string, CachedToken>();
/** In-flight token requests, shared so concurrent adapters of one connection ask only once. */
const pendingTokens = new Map<string, Promise<string>>();

/** Refresh margin: 2 minutes, or a tenth of a short lifetime. */
function refreshMarginMs(ttlSec: number): number {
  return Math.min(120_000, ttlSec * 100);
}

export class HaloTokenSource {
  private readonly cacheKey: string;

  constructor(
    private readonly http: () => PsaHttpClient,
    private readonly creds: HaloPsaCredentials,
    private readonly now: () => number = Date.now,
  ) {
    this.cacheKey = createHash('sha256')
      .update([creds.siteUrl, creds.clientId, creds.clientSecret, creds.tenant ?? ''].join('\n'))
      .digest('hex');
  }

  /** The current token, fetching one when there is none or it is about to expire. */
  async token(): Promise<string> {
    const cached = tokenCache.get(this.cacheKey);
    if (cached && cached.expiresAt > this.now()) return cached.token;
    let pending = pendingTokens.get(this.cacheKey);
    if (!pending) {
      // One token serves every caller: fetched with ordinary budget waits, whoever asked first.
      pending = withoutBudgetTerms(() => this.fetch()).finally(() => pendingTokens.delete(this.cacheKey));
      pendingTokens.set(this.cacheKey, pending);
    }
    return pending;
  }

  /** Forget the token (after a 401) so the next call fetches a new one. */
  invalidate(): void {
    tokenCache.delete(this.cacheKey);
  }

  /** The token currently cached (for redaction of messages). */
  current(): string | null {
    return tokenCache.get(this.cacheKey)?.token ?? null;
  }

  private async fetch(): Promise<string> {
    const res = await this.http().request({
      method: 'POST',
      url: 'auth/token',
      query: { tenant: this.creds.tenant },
      form: {
        grant_type: 'client_credentials',
        client_id: this.creds.clientId,
        client_secret: this.creds.clientSecret,
        scope: 'all',
      },
      endpoint: 'auth',
      anonymous: true,
      idempotent: true,
    });
    const parsed = tokenResponseSchema.safeParse(res.body);
    if (!parsed.success) throw new PsaUnavailableError('HaloPSA returned a token response without an access_token');
    const ttl = parsed.data.expires_in ?? DEFAULT_TTL_SEC;
    tokenCache.set(this.cacheKey, {
      token: parsed.data.access_token,
      expiresAt: this.now() + ttl * 1000 - refreshMarginMs(ttl),
    });
    return parsed.data.access_token;
  }
}
